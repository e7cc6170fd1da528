import { DisconnectReason } from '@whiskeysockets/baileys';
import { describe, expect, test } from 'vitest';
import { useSimulator } from './test-fixture.ts';
import type { Simulator } from './server.ts';
import { connectClient } from './test-client.ts';
import type { TestClient } from './test-client.ts';

let simulator: Simulator;
const track = useSimulator((started) => (simulator = started));

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${simulator.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

describe('control API', () => {
  test('GET / describes the simulator', async () => {
    const { status, json } = await call('GET', '/');
    expect(status).toBe(200);
    expect(json.websocket).toBe('/ws/chat');
    expect(json.control).toContain('POST /control/scan {qr, phone, forgeAccountSignature?, linkedAt?: epoch ms the link is stamped with} -> {jid}');
  });

  test('refuses a retry request for an unknown message and an unknown addressing, with a 4xx error', async () => {
    expect(await call('POST', '/control/retries', { id: '3EB0NOTSENT' })).toEqual({ status: 404, json: { error: expect.stringContaining('3EB0NOTSENT') } });
    expect((await call('POST', '/control/retries', { id: '3EB0X', count: 9 })).status).toBe(400);
    const bad = await call('POST', '/control/messages', { from: '6289900000021', to: '6284400000001', text: 'x', addressing: 'by-email' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/addressing/);
  });

  test('a whole session runs over HTTP: scan, contact message, inbox, receipts, drop and unlink', async () => {
    const pairing = connectClient(simulator.wsUrl);
    track(pairing);
    const { qr } = await pairing.connection((update) => !!update.qr);
    const scanned = await call('POST', '/control/scan', { qr, phone: '6284400000001' });
    expect(scanned).toEqual({ status: 200, json: { jid: expect.stringMatching(/^6284400000001:\d+@s\.whatsapp\.net$/) } });
    await pairing.closed();
    const client = connectClient(simulator.wsUrl, { state: pairing.state });
    track(client);
    await client.connection((update) => update.connection === 'open');

    const upsert = client.next('messages.upsert', ({ messages }) => messages.some((m) => !m.key.fromMe));
    const sent = await call('POST', '/control/messages', { from: '6289900000021', to: '6284400000001', text: 'via http' });
    expect(sent.status).toBe(200);
    const received = (await upsert).messages.find((m) => m.key.id === sent.json.id);
    expect(received?.message?.conversation).toBe('via http');

    const stored = simulator.events.waitFor('message-stored', (message) => message.from === '6284400000001');
    // A receipt landing while Baileys still buffers the upsert of its own message (about 100 ms) is folded
    // into that upsert, else it comes as an update: the read status is looked for in both.
    let replyId: string | undefined;
    const statuses: number[] = [];
    const readSeen = new Promise<void>((resolve) => {
      const note = (id: string | null | undefined, status: number | null | undefined) => {
        if (!id || id !== replyId || typeof status !== 'number') return;
        statuses.push(status);
        if (status === 4) resolve();
      };
      client.sock.ev.on('messages.upsert', ({ messages }) => {
        for (const m of messages) if (m.key.fromMe) note(m.key.id, m.status);
      });
      client.sock.ev.on('messages.update', (updates) => {
        for (const u of updates) note(u.key.id, u.update.status);
      });
    });
    const reply = await client.sock.sendMessage('6289900000021@s.whatsapp.net', { text: 'answer' });
    replyId = reply!.key.id!;
    await stored;
    const inbox = await call('GET', '/control/inbox/6289900000021');
    expect(inbox.json.messages).toEqual([
      { id: reply!.key.id, from: '6284400000001', text: 'answer', timestamp: expect.any(Number), kind: 'text', content: expect.objectContaining({ extendedTextMessage: { text: 'answer' } }) },
    ]);
    // Any kind, by message object: a reaction to the device's message reaches Baileys.
    const reacted = client.next('messages.reaction');
    const reaction = await call('POST', '/control/messages', { from: '6289900000021', to: '6284400000001', message: { type: 'reaction', messageId: reply!.key.id, emoji: '🙏' } });
    expect(reaction).toEqual({ status: 200, json: { id: expect.any(String) } });
    expect((await reacted)[0]).toMatchObject({ key: { id: reply!.key.id }, reaction: { text: '🙏' } });

    expect(await call('POST', '/control/receipts', { id: reply!.key.id, type: 'read' })).toEqual({
      status: 200,
      json: { ok: true },
    });
    await readSeen;
    expect(Math.max(...statuses)).toBe(4);

    expect((await call('POST', '/control/drop', { phone: '6284400000001' })).json).toEqual({ connections: 1 });
    expect((await client.closed()).statusCode).toBe(DisconnectReason.connectionClosed);
    expect((await call('POST', '/control/unlink', { phone: '6284400000001' })).json).toEqual({ devices: 1 });
  });

  test.each([
    ['invalid JSON', 'POST', '/control/scan', '{nope', 400],
    ['a missing field', 'POST', '/control/messages', { from: '6281', text: 'x' }, 400],
    ['a phone that is not digits', 'POST', '/control/messages', { from: '+62 812', to: '6281234567', text: 'x' }, 400],
    ['a string that is not a linking QR', 'POST', '/control/scan', { qr: 'hello', phone: '6281234567' }, 400],
    [
      'a QR no device is showing',
      'POST',
      '/control/scan',
      { qr: `2@x,${'A'.repeat(43)}=,${'A'.repeat(43)}=,${'A'.repeat(43)}=,1`, phone: '6281234567' },
      404,
    ],
    ['a message to a phone with no linked device', 'POST', '/control/messages', { from: '6281234567', to: '6289876543', text: 'x' }, 404],
    ['a receipt type that does not exist', 'POST', '/control/receipts', { id: 'X', type: 'played' }, 400],
    ['a receipt for an unknown message', 'POST', '/control/receipts', { id: 'NOPE', type: 'read' }, 404],
    ['unlinking a phone with no devices', 'POST', '/control/unlink', { phone: '6281234567' }, 404],
    ['dropping a phone with no connection', 'POST', '/control/drop', { phone: '6281234567' }, 409],
    ['a stream error kind that does not exist', 'POST', '/control/stream-error', { phone: '6281234567', kind: '401' }, 400],
    ['a stream error for a phone with no connection', 'POST', '/control/stream-error', { phone: '6281234567', kind: '503' }, 409],
    ['a refusal code that is not an error', 'POST', '/control/refusals', { from: '6281234567', to: '6289876543', code: 200 }, 400],
    ['a client version that is not three numbers', 'POST', '/control/client-version', { minimum: [2, 3000] }, 400],
    ['stalling a phone with no connection', 'POST', '/control/stall', { phone: '6281234567' }, 409],
    ['stalling a non-phone', 'POST', '/control/stall', { phone: 'abc' }, 400],
    ['an inbox for a non-phone', 'GET', '/control/inbox/abc', undefined, 400],
    ['both text and a message object', 'POST', '/control/messages', { from: '6281234567', to: '6289876543', text: 'x', message: { type: 'text', text: 'y' } }, 400],
    ['a message object of no known type', 'POST', '/control/messages', { from: '6281234567', to: '6289876543', message: { type: 'sticker' } }, 400],
    ['a poll with one option', 'POST', '/control/messages', { from: '6281234567', to: '6289876543', message: { type: 'poll', name: 'q', options: ['a'] } }, 400],
    ['a reaction to a message not in the chat', 'POST', '/control/messages', { from: '6281234567', to: '6289876543', message: { type: 'reaction', messageId: 'NOPE', emoji: 'x' } }, 404],
    ['marking a non-phone not on WhatsApp', 'POST', '/control/contacts', { phone: 'abc', registered: false }, 400],
    ['a presence state that does not exist', 'POST', '/control/presence', { from: '6281234567', to: '6289876543', state: 'dancing' }, 400],
    ['the wrong method', 'GET', '/control/scan', undefined, 405],
    ['an unknown path', 'POST', '/control/nothing', {}, 404],
  ])('%s gets a 4xx with an error message', async (_name, method, path, body, expected) => {
    const { status, json } = await call(method, path, body);
    expect(status).toBe(expected);
    expect(json.error).toEqual(expect.any(String));
  });

  test('a number is marked not on WhatsApp and given a picture', async () => {
    expect(await call('POST', '/control/contacts', { phone: '6289900000030', registered: false, pictureUrl: 'https://pps.example/a.jpg' })).toEqual({
      status: 200,
      json: { registered: false, pictureUrl: 'https://pps.example/a.jpg' },
    });
    expect(await call('POST', '/control/presence', { from: '6289900000030', to: '6284400000009', state: 'composing' })).toEqual({ status: 200, json: { devices: 0 } });
  });

  test('an inbox of a contact that received nothing is empty', async () => {
    expect(await call('GET', '/control/inbox/6289900000029')).toEqual({ status: 200, json: { messages: [] } });
  });
});
