import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, openScriptedSocket } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { connectorProof } from '../../shared/connector-proof.ts';
import { eventually } from '../../testing/eventually.ts';
import { CloseCode, EVENT_WINDOW, PING_FRAME, PROTOCOL_VERSION, type ConnectorFrame, type SessionEvent } from '../../shared/protocol.ts';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack({ COMMAND_TIMEOUT_MS: '1500' });
  api = apiOf(stack);
});
afterAll(() => stack.close());

let eventCounter = 0;
function event(sessionId: string, event: SessionEvent, at = Date.now()): Extract<ConnectorFrame, { type: 'event' }> {
  return { type: 'event', id: `evt-${++eventCounter}-${Math.random().toString(36).slice(2)}`, sessionId, at, event };
}

async function count(sql: string, args: (string | number)[]): Promise<number> {
  const result = await stack.db.execute({ sql, args });
  return Number(result.rows[0]?.[0]);
}

describe('connector authentication', () => {
  it('welcomes a connector that proves the secret, with the sessions waiting for it', async () => {
    const { sessionId } = await createSession(api);
    const { script, welcome } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'auth-ok' });
    expect(welcome?.connectorId).toBe('auth-ok');
    expect(welcome?.sessions).toContainEqual({ sessionId, state: 'running', authEpoch: 0 });
    await script.close();
  });

  it('refuses a wrong secret with 4001', async () => {
    const { script, welcome } = await connectScripted(stack.hubUrl, { secret: 'not-the-secret-at-all' });
    expect(welcome).toBeNull();
    expect((await script.closed).code).toBe(CloseCode.unauthorised);
  });

  it("refuses a hello that replays another socket's nonce and proof", async () => {
    const first = await openScriptedSocket(stack.hubUrl, 'test-connector');
    const recorded = await first.script.next('challenge');
    const { script, welcome } = await connectScripted(stack.hubUrl, {
      secret: stack.connectorSecret,
      // A valid proof, but over the nonce of another socket: what an eavesdropper could replay.
      tamper: (hello) => ({ ...hello, nonce: recorded.nonce }),
    });
    expect(welcome).toBeNull();
    expect((await script.closed).code).toBe(CloseCode.unauthorised);
    await first.script.close();
  });

  it('refuses a correct proof made for a timestamp far from now', async () => {
    const { script } = await openScriptedSocket(stack.hubUrl, 'stale-clock');
    const { nonce } = await script.next('challenge');
    const old = Date.now() - 10 * 60_000;
    // The proof is valid for this nonce and timestamp: only the clock check can refuse it.
    const proof = await connectorProof(stack.connectorSecret, 'stale-clock', nonce, old);
    script.send({ type: 'hello', protocol: PROTOCOL_VERSION, connectorId: 'stale-clock', nonce, timestamp: old, proof, held: [], live: [] });
    expect((await script.closed).code).toBe(CloseCode.unauthorised);
  });

  it('refuses another protocol version with 4002', async () => {
    const { script, welcome } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, tamper: (hello) => ({ ...hello, protocol: 99 }) });
    expect(welcome).toBeNull();
    expect((await script.closed).code).toBe(CloseCode.unsupportedVersion);
  });

  it('refuses a connector of protocol 1, which dials the bare path, with 4002', async () => {
    const { script, welcome } = await connectScripted(stack.hubUrl, {
      secret: stack.connectorSecret,
      connectorId: 'old-version',
      dial: null,
      tamper: (hello) => ({ ...hello, protocol: 1 }),
    });
    expect(welcome).toBeNull();
    expect((await script.closed).code).toBe(CloseCode.unsupportedVersion);
  });

  it('refuses a connector of protocol 2, whose hello has no instance and whose lease rode on pings, with 4002', async () => {
    const { script, welcome } = await connectScripted(stack.hubUrl, {
      secret: stack.connectorSecret,
      connectorId: 'previous-version',
      tamper: ({ instance: _, ...hello }) => ({ ...hello, protocol: 2 }) as never,
    });
    expect(welcome).toBeNull();
    expect((await script.closed).code).toBe(CloseCode.unsupportedVersion);
  });

  it("refuses with 4001 a valid hello for another connector than the one whose hub it dialled", async () => {
    const { script, welcome } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'edge-a', dial: 'edge-b' });
    expect(welcome).toBeNull();
    expect((await script.closed).code).toBe(CloseCode.unauthorised);
  });

  it('refuses a dial that names a malformed connector id with 400, before any hub', async () => {
    const socket = new WebSocket(`${stack.hubUrl}/hub/connect?connector=${encodeURIComponent('no spaces/or slashes')}`);
    socket.on('error', () => undefined); // the refused upgrade also surfaces as an error
    const [, response] = (await once(socket, 'unexpected-response')) as [unknown, IncomingMessage];
    expect(response.statusCode).toBe(400);
  });

  it('answers a heartbeat ping with pong', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'heartbeat' });
    script.send(PING_FRAME);
    expect(await script.next('pong')).toEqual({ type: 'pong' });
    await script.close();
  });

  it('replaces an older socket of the same connector with 4003', async () => {
    const first = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'twice' });
    const second = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'twice' });
    expect(second.welcome).not.toBeNull();
    expect((await first.script.closed).code).toBe(CloseCode.replaced);
    await second.script.close();
  });

  it('refuses a plain HTTP request to the hub entry', async () => {
    const answer = await api('GET', '/hub/connect');
    expect(answer.status).toBe(400);
  });
});

describe('relaying through an attached connector', () => {
  it('passes lifecycle changes on as desired state, and deletion as remove', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'lifecycle' });
    const { sessionId, apiKey } = await createSession(api);
    expect((await script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId)).sessions).toEqual([
      { sessionId, state: 'running', authEpoch: 0 },
    ]);
    await api('POST', '/api/session/logout', { key: apiKey });
    expect((await script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId)).sessions[0]).toEqual({
      sessionId,
      state: 'stopped',
      authEpoch: 1,
    });
    await api('POST', '/api/session/start', { key: apiKey });
    expect((await script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId)).sessions[0]).toMatchObject({ state: 'running', authEpoch: 1 });
    const phone = '6281200000001';
    await api('POST', '/api/create-session', { admin: true, body: { phone } });
    await script.next('desired', (f) => f.sessions[0]?.sessionId === phone);
    await api('POST', '/api/delete', { admin: true, body: { phone } });
    expect((await script.next('remove')).sessionIds).toEqual([phone]);
    await script.close();
  });

  it('sends through the connector and answers with its result', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'sender' });
    const { sessionId, apiKey } = await createSession(api);
    const answer = api('POST', '/api/send', { key: apiKey, body: { to: '0812-3456-7890', message: 'halo 👋' } });
    const command = await script.next('command', (f) => f.command.sessionId === sessionId);
    expect(command.command).toEqual({ name: 'send.text', sessionId, to: '6281234567890', text: 'halo 👋' });
    expect(command.deadline).toBeGreaterThan(Date.now());
    script.send({ type: 'result', id: command.id, ok: true, data: { messageId: 'WAID1', remoteJid: '6281234567890@s.whatsapp.net', timestamp: 1700000000 } });
    const { status, json } = await answer;
    expect(status).toBe(200);
    expect(json).toEqual({
      success: true,
      result: {
        key: { remoteJid: '6281234567890@s.whatsapp.net', id: 'WAID1', fromMe: true },
        message: { extendedTextMessage: { text: 'halo 👋' } },
        messageTimestamp: 1700000000,
      },
    });
    // The record of the message is the connector's message.sent event, not the API call.
    expect(await count(`select count(*) from messages where session_id = ?`, [sessionId])).toBe(0);
    await script.close();
  });

  it('settles each result of a results frame on its own: a malformed item is dropped alone and the link stays', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'batcher' });
    const { sessionId, apiKey } = await createSession(api);
    const answers = ['satu', 'dua', 'tiga'].map((message) => api('POST', '/api/send', { key: apiKey, body: { to: '081234567890', message } }));
    const commands = await Promise.all(
      ['satu', 'dua', 'tiga'].map((text) => script.next('command', (f) => f.command.sessionId === sessionId && f.command.name === 'send.text' && f.command.text === text)),
    );
    const ok = (id: string, messageId: string) => ({ type: 'result', id, ok: true, data: { messageId, remoteJid: '6281234567890@s.whatsapp.net', timestamp: 1700000000 } });
    script.send({
      type: 'results',
      // The second answer is not a result the protocol knows: the send may have gone, so its caller is not told it failed.
      results: [ok(commands[0]!.id, 'WA-SATU'), { type: 'result', id: commands[1]!.id, ok: 'yes' }, 'garbage', ok(commands[2]!.id, 'WA-TIGA')],
    } as never);
    const [first, second, third] = await Promise.all(answers);
    expect(first).toMatchObject({ status: 200, json: { result: { key: { id: 'WA-SATU' } } } });
    expect(third).toMatchObject({ status: 200, json: { result: { key: { id: 'WA-TIGA' } } } });
    expect(second.status).toBe(504);
    script.send(PING_FRAME);
    expect(await script.next('pong')).toEqual({ type: 'pong' });
    await script.close();
  });

  it('answers the results of a results frame and stores the events that ride along with them, each on its own', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'folder' });
    const { sessionId, apiKey } = await createSession(api);
    const answer = api('POST', '/api/send', { key: apiKey, body: { to: '081234567890', message: 'bersama' } });
    const command = await script.next('command', (f) => f.command.sessionId === sessionId);
    const sent = event(sessionId, { name: 'message.sent', messageId: 'WA-FOLD', to: '6281234567890', text: 'bersama', timestamp: 1700000000 });
    const bad = { ...event(sessionId, { name: 'message.sent', messageId: 'WA-BAD', to: '6281234567890', text: 'x', timestamp: 1 }), event: { name: 'no.such.event' } };
    script.send({
      type: 'results',
      results: [{ type: 'result', id: command.id, ok: true, data: { messageId: 'WA-FOLD', remoteJid: '6281234567890@s.whatsapp.net', timestamp: 1700000000 } }],
      events: [bad, sent],
    } as never);
    expect(await answer).toMatchObject({ status: 200, json: { result: { key: { id: 'WA-FOLD' } } } });
    expect((await script.next('ack', (a) => a.ids.includes(sent.id))).ids).toEqual([sent.id]);
    const found = await stack.db.execute({ sql: 'select text, status from messages where session_id = ? and provider_message_id = ?', args: [sessionId, 'WA-FOLD'] });
    expect(found.rows.map((r) => ({ ...r }))).toEqual([{ text: 'bersama', status: 'sent' }]);
    expect(await count('select count(*) from events where id = ?', [bad.id])).toBe(0);
    script.send(PING_FRAME);
    expect(await script.next('pong')).toEqual({ type: 'pong' });
    await script.close();
  });

  it("records a sent message with its text from message.sent, whether or not a receipt came first", async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'sent-records' });
    const { sessionId } = await createSession(api);
    const deliver = async (frame: ReturnType<typeof event>) => {
      script.send(frame);
      await script.next('ack', (a) => a.ids.includes(frame.id));
    };
    await deliver(event(sessionId, { name: 'message.status', messageId: 'EARLY', to: '6281234567890', status: 'delivered', timestamp: 5 }));
    await deliver(event(sessionId, { name: 'message.sent', messageId: 'EARLY', to: '6281234567890', text: 'receipt first', timestamp: 4 }));
    await deliver(event(sessionId, { name: 'message.sent', messageId: 'PLAIN', to: '6281234567890', text: 'halo 👋', timestamp: 6 }));
    const found = await stack.db.execute({
      sql: `select provider_message_id as id, direction, remote_phone, text, status from messages where session_id = ? order by provider_message_id`,
      args: [sessionId],
    });
    expect(found.rows.map((r) => ({ ...r }))).toEqual([
      { id: 'EARLY', direction: 'out', remote_phone: '6281234567890', text: 'receipt first', status: 'delivered' },
      { id: 'PLAIN', direction: 'out', remote_phone: '6281234567890', text: 'halo 👋', status: 'sent' },
    ]);
    await script.close();
  });

  it.each([
    ['SESSION_NOT_CONNECTED', 409],
    ['SESSION_NOT_FOUND', 409],
    ['SEND_FAILED', 502],
    ['SHUTTING_DOWN', 503],
  ] as const)('maps a connector %s to %i', async (code, status) => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: `err-${code}` });
    const { sessionId, apiKey } = await createSession(api);
    const answer = api('POST', '/api/send', { key: apiKey, body: { to: '6281234567890', message: 'x' } });
    const command = await script.next('command', (f) => f.command.sessionId === sessionId);
    script.send({ type: 'result', id: command.id, ok: false, error: { code, message: 'nope' } });
    expect((await answer).status).toBe(status);
    await script.close();
  });

  it('answers 504 when the connector does not answer by the deadline, and drops the late result', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'slow' });
    const { sessionId, apiKey } = await createSession(api);
    const answer = api('POST', '/api/send', { key: apiKey, body: { to: '6281234567890', message: 'x' } });
    const command = await script.next('command', (f) => f.command.sessionId === sessionId);
    const { status, json } = await answer;
    expect(status).toBe(504);
    expect(json.code).toBe('CONNECTOR_TIMEOUT');
    script.send({ type: 'result', id: command.id, ok: true, data: { messageId: 'LATE', remoteJid: 'x@s.whatsapp.net', timestamp: 1 } });
    script.send(PING_FRAME);
    await script.next('pong'); // the hub is still serving this socket after the late result
    await script.close();
  });

  it('fails commands in flight at once with 503 when the link drops', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'dropper' });
    const { sessionId, apiKey } = await createSession(api);
    const answer = api('POST', '/api/send', { key: apiKey, body: { to: '6281234567890', message: 'x' } });
    await script.next('command', (f) => f.command.sessionId === sessionId);
    await script.close();
    const { status, json } = await answer;
    expect(status).toBe(503);
    expect(json.code).toBe('CONNECTOR_OFFLINE');
  });
});

describe('events from the connector', () => {
  it('acks an event only once it is stored, and stores a resent event once', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'events' });
    const { sessionId } = await createSession(api);
    const frame = event(sessionId, { name: 'message.received', messageId: 'IN1', from: '6281299999999', text: 'hai', timestamp: 1700000001 });
    script.send(frame);
    expect((await script.next('ack', (a) => a.ids.includes(frame.id))).ids).toEqual([frame.id]);
    expect(await count('select count(*) from events where id = ?', [frame.id])).toBe(1);
    script.send(frame);
    await script.next('ack', (a) => a.ids.includes(frame.id));
    expect(await count('select count(*) from events where id = ?', [frame.id])).toBe(1);
    expect(await count(`select count(*) from messages where session_id = ? and direction = 'in' and text = 'hai'`, [sessionId])).toBe(1);
    await script.close();
  });

  it('stores a message from a sender WhatsApp named by LID alone under its LID, with no phone', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'lid-only' });
    const { sessionId } = await createSession(api);
    const frame = event(sessionId, { name: 'message.received', messageId: 'IN-LID', from: null, fromLid: '100000000000777@lid', text: 'siapa', timestamp: 1700000002 });
    script.send(frame);
    await script.next('ack', (a) => a.ids.includes(frame.id));
    const row = await stack.db.execute({ sql: `select remote_jid, remote_phone from messages where session_id = ? and provider_message_id = 'IN-LID'`, args: [sessionId] });
    expect(row.rows.map((r) => ({ ...r }))).toEqual([{ remote_jid: '100000000000777@lid', remote_phone: null }]);
    await script.close();
  });

  it('keeps QR and status so reads answer without the connector', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'status' });
    const { sessionId, apiKey } = await createSession(api);
    const qr = event(sessionId, { name: 'qr', qr: '2@abc,def,ghi', qrDataUrl: 'data:image/png;base64,AAAA' });
    script.send(qr);
    await script.next('ack', (a) => a.ids.includes(qr.id));
    expect((await api('GET', '/api/session/qr', { key: apiKey })).json).toEqual({ success: true, connected: false, status: 'SCAN_QR_CODE', qr: 'data:image/png;base64,AAAA' });
    expect((await api('GET', '/api/session/qr?format=raw', { key: apiKey })).json).toEqual({ success: true, connected: false, status: 'SCAN_QR_CODE', qrRaw: '2@abc,def,ghi' });

    const open = event(sessionId, { name: 'connection.update', status: 'WORKING', user: { id: '6281211111111:3@s.whatsapp.net', name: 'Toko' } });
    script.send(open);
    await script.next('ack', (a) => a.ids.includes(open.id));
    expect((await api('GET', '/api/session/status', { key: apiKey })).json).toEqual({
      success: true,
      connected: true,
      status: 'WORKING',
      since: expect.any(Number),
      lastSeenAt: expect.any(Number),
      user: { id: '6281211111111:3@s.whatsapp.net', name: 'Toko' },
    });
    expect((await api('GET', '/api/session/qr', { key: apiKey })).json).toMatchObject({ connected: true, user: { name: 'Toko' } });
    const row = await stack.db.execute({ sql: 'select status, phone from sessions where id = ?', args: [sessionId] });
    expect(row.rows[0]).toMatchObject({ status: 'WORKING', phone: '6281211111111' });

    await script.close();
    // With its connector gone the session cannot be used, whatever it last reported.
    expect((await api('GET', '/api/session/status', { key: apiKey })).json).toMatchObject({ connected: false, status: 'WORKING' });
  });

  it("replaces a stale status with what a reattaching connector says it is doing", async () => {
    const first = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'reattach' });
    const { sessionId, apiKey } = await createSession(api);
    await first.script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId);
    const open = event(sessionId, { name: 'connection.update', status: 'WORKING', user: { id: '6281233333333@s.whatsapp.net' } });
    first.script.send(open);
    await first.script.next('ack', (a) => a.ids.includes(open.id));
    expect((await api('GET', '/api/session/status', { key: apiKey })).json).toMatchObject({ connected: true });
    await first.script.close();

    // A restarted connector runs nothing yet: the old WORKING must not make the session look usable.
    const restarted = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'reattach' });
    expect((await api('GET', '/api/session/status', { key: apiKey })).json).toMatchObject({ success: true, connected: false, status: 'STARTING' });
    await restarted.script.close();

    // A connector whose link dropped but whose session stayed up says so, and is believed.
    const relinked = await connectScripted(stack.hubUrl, {
      secret: stack.connectorSecret,
      connectorId: 'reattach',
      live: [{ sessionId, status: 'WORKING' }],
    });
    expect((await api('GET', '/api/session/status', { key: apiKey })).json).toEqual({
      success: true,
      connected: true,
      status: 'WORKING',
      since: expect.any(Number),
      lastSeenAt: expect.any(Number),
      user: { id: '6281233333333@s.whatsapp.net' },
    });
    await relinked.script.close();
  });

  it('moves a sent message forward through its receipts and never back', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'receipts' });
    const { sessionId } = await createSession(api);
    for (const status of ['read', 'delivered'] as const) {
      const frame = event(sessionId, { name: 'message.status', messageId: 'OUT9', to: '6281234567890', status, timestamp: 1 });
      script.send(frame);
      await script.next('ack', (a) => a.ids.includes(frame.id));
    }
    const row = await stack.db.execute({ sql: `select status from messages where session_id = ? and provider_message_id = 'OUT9'`, args: [sessionId] });
    expect(row.rows[0]?.status).toBe('read');
    await script.close();
  });

  it('stores a burst of events in order and acks every one', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'burst' });
    const { sessionId } = await createSession(api);
    const statuses = ['STARTING', 'SCAN_QR_CODE', 'STARTING', 'WORKING'] as const;
    const frames = Array.from({ length: 60 }, (_, i) => event(sessionId, { name: 'connection.update', status: statuses[i % statuses.length]! }, 1_000 + i));
    for (const frame of frames) script.send(frame);
    const acked = new Set<string>();
    while (acked.size < frames.length) for (const id of (await script.next('ack')).ids) acked.add(id);
    expect([...acked].sort()).toEqual(frames.map((f) => f.id).sort());
    expect(await count('select count(*) from events where session_id = ?', [sessionId])).toBe(60);
    // The last event written wins in Turso: written in arrival order, the session ends WORKING.
    const row = await stack.db.execute({ sql: 'select status from sessions where id = ?', args: [sessionId] });
    expect(row.rows[0]?.status).toBe('WORKING');
    await script.close();
  });

  it('stores and acks each event of an events frame on its own, leaving a malformed item unacked and the link up', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'event-batcher' });
    const { sessionId } = await createSession(api);
    const good = [event(sessionId, { name: 'connection.update', status: 'STARTING' }, 2_000), event(sessionId, { name: 'connection.update', status: 'WORKING' }, 2_001)];
    const bad = { ...event(sessionId, { name: 'connection.update', status: 'WORKING' }, 2_002), event: { name: 'no.such.event' } };
    script.send({ type: 'events', events: [good[0], bad, 'garbage', good[1]] } as never);
    const acked = new Set<string>();
    while (acked.size < good.length) for (const id of (await script.next('ack')).ids) acked.add(id);
    expect([...acked].sort()).toEqual(good.map((f) => f.id).sort());
    expect(await count('select count(*) from events where session_id = ?', [sessionId])).toBe(2);
    script.send(PING_FRAME);
    expect(await script.next('pong')).toEqual({ type: 'pong' });
    expect(await count('select count(*) from events where id = ?', [bad.id])).toBe(0);
    await script.close();
  });

  it('keeps the newer status when an older connection.update is resent after it, in Turso and in the snapshot', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'resender' });
    const { sessionId, apiKey } = await createSession(api);
    await script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId);
    const t0 = Date.now();
    const older = event(sessionId, { name: 'connection.update', status: 'SCAN_QR_CODE' }, t0 + 1_000);
    const newer = event(sessionId, { name: 'connection.update', status: 'WORKING', user: { id: '6281244444444@s.whatsapp.net' } }, t0 + 2_000);
    for (const frame of [older, newer, older]) {
      script.send(frame);
      await script.next('ack', (a) => a.ids.includes(frame.id));
    }
    // A resend with a new id (an outbox that lost its ack) must not win either.
    const olderAgain = { ...older, id: `${older.id}-again` };
    script.send(olderAgain);
    await script.next('ack', (a) => a.ids.includes(olderAgain.id));
    const row = await stack.db.execute({ sql: 'select status from sessions where id = ?', args: [sessionId] });
    expect(row.rows[0]?.status).toBe('WORKING');
    expect((await api('GET', '/api/session/status', { key: apiKey })).json).toMatchObject({ status: 'WORKING', connected: true });
    await script.close();
  });

  it("acks and drops events a connector sends for a session assigned to another connector", async () => {
    const owner = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'owner' });
    const { sessionId, apiKey } = await createSession(api);
    await owner.script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId);
    const intruder = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'intruder' });
    const forged = [
      event(sessionId, { name: 'connection.update', status: 'WORKING', user: { id: '6281255555555@s.whatsapp.net' } }),
      event(sessionId, { name: 'message.received', messageId: 'FORGED', from: '6281299999999', text: 'forged', timestamp: 1 }),
    ];
    for (const frame of forged) {
      intruder.script.send(frame);
      await intruder.script.next('ack', (a) => a.ids.includes(frame.id));
    }
    expect(await count('select count(*) from events where session_id = ?', [sessionId])).toBe(0);
    expect(await count('select count(*) from messages where session_id = ?', [sessionId])).toBe(0);
    expect((await api('GET', '/api/session/status', { key: apiKey })).json).toMatchObject({ status: 'STARTING', connected: false });
    // The session's own connector is still heard.
    const own = event(sessionId, { name: 'message.received', messageId: 'OWN', from: '6281299999999', text: 'own', timestamp: 1 });
    owner.script.send(own);
    await owner.script.next('ack', (a) => a.ids.includes(own.id));
    expect(await count('select count(*) from events where session_id = ?', [sessionId])).toBe(1);
    await intruder.script.close();
    await owner.script.close();
  });

  it('holds at most EVENT_WINDOW events of one link, leaves the overflow unacked, and stores it when it comes again', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'flood' });
    const { sessionId, apiKey } = await createSession(api);
    await script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId);
    const acked = new Set<string>();
    const collect = async () => {
      for (;;) for (const id of (await script.next('ack')).ids) acked.add(id);
    };
    void collect();
    const frames = Array.from({ length: 3 * EVENT_WINDOW }, (_, i) =>
      event(sessionId, { name: 'message.status', messageId: `FLOOD${i}`, to: '6281234567890', status: 'delivered', timestamp: i }),
    );
    // Another writer holds the database while the burst arrives, so the hub stores nothing meanwhile and its
    // window fills however fast this machine is (without it, a hub that keeps up never reaches the window).
    const writer = await stack.db.transaction('write');
    await writer.execute('select 1');
    // A connector that ignores the window sends its whole backlog at once.
    for (const frame of frames) script.send(frame);
    // The hub handles frames in arrival order: its pong says it has seen the whole burst.
    script.send(PING_FRAME);
    await script.next('pong');
    await writer.rollback();
    // One more event, sent until it is acked: the hub stores in arrival order, so once it is acked, every
    // event of the burst the hub took has been acked too.
    const marker = event(sessionId, { name: 'connection.update', status: 'STARTING' });
    await eventually(
      () => {
        script.send(marker);
        expect(acked.has(marker.id)).toBe(true);
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    // The first EVENT_WINDOW frames were held; every one after them came while the window was full.
    const taken = frames.filter((f) => acked.has(f.id)).length;
    expect(taken).toBe(EVENT_WINDOW);
    expect(frames.slice(0, EVENT_WINDOW).every((f) => acked.has(f.id))).toBe(true);
    expect(await count('select count(*) from events where session_id = ? and name = ?', [sessionId, 'message.status'])).toBe(taken);
    // Sent again within the window, the rest is stored, each once.
    const rest = frames.filter((f) => !acked.has(f.id));
    for (let i = 0; i < rest.length; i += EVENT_WINDOW / 2) {
      const chunk = rest.slice(i, i + EVENT_WINDOW / 2);
      for (const frame of chunk) script.send(frame);
      await eventually(() => expect(chunk.every((f) => acked.has(f.id))).toBe(true), { timeoutMs: 20_000 });
    }
    expect(await count('select count(*) from events where session_id = ? and name = ?', [sessionId, 'message.status'])).toBe(frames.length);
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(200);
    await script.close();
  });

  it('acks and drops events of a session that no longer exists', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'orphans' });
    const frame = event('no-such-session', { name: 'connection.update', status: 'WORKING' });
    script.send(frame);
    await script.next('ack', (a) => a.ids.includes(frame.id));
    expect(await count('select count(*) from events where id = ?', [frame.id])).toBe(0);
    await script.close();
  });

  it('ignores malformed frames and keeps the link', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'garbage' });
    script.send('{not json');
    script.send(JSON.stringify({ type: 'event', id: 'x' }));
    script.send(PING_FRAME);
    expect(await script.next('pong')).toEqual({ type: 'pong' });
    await script.close();
  });
});
