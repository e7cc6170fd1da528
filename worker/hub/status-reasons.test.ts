// Statuses that say why, through the real Worker in workerd and a scripted connector: the reason and since
// the API shows and Turso keeps, the expected phone and the start epoch the connector is told.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { eventually } from '../../testing/eventually.ts';
import { connectScripted } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import type { ConnectorFrame, SessionEvent } from '../../shared/protocol.ts';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack();
  api = apiOf(stack);
});
afterAll(() => stack.close());

let counter = 0;
function event(sessionId: string, event: SessionEvent, at: number): Extract<ConnectorFrame, { type: 'event' }> {
  return { type: 'event', id: `why-${++counter}-${Math.random().toString(36).slice(2)}`, sessionId, at, event };
}

describe('statuses that say why', () => {
  it('shows the reason and since the connector gave, keeps since while the status repeats, and drops the reason once WORKING', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'why' });
    const { sessionId, apiKey } = await createSession(api);
    await script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId);
    const t0 = Date.now();
    const send = async (e: SessionEvent, at: number) => {
      const frame = event(sessionId, e, at);
      script.send(frame);
      await script.next('ack', (a) => a.ids.includes(frame.id));
    };

    await send({ name: 'connection.update', status: 'STARTING', code: 'WHATSAPP_UNREACHABLE', reason: 'no status: connect ECONNREFUSED' }, t0 + 1);
    await send({ name: 'connection.update', status: 'STARTING', code: 'WHATSAPP_UNREACHABLE', reason: 'no status: getaddrinfo ENOTFOUND' }, t0 + 2);
    expect((await api('GET', '/api/session/status', { key: apiKey })).json).toEqual({
      success: true,
      connected: false,
      status: 'STARTING',
      reason: { code: 'WHATSAPP_UNREACHABLE', message: 'no status: getaddrinfo ENOTFOUND', at: t0 + 2 },
      since: expect.any(Number),
    });
    const [row] = (await stack.db.execute({ sql: 'select status_reason, status_since from sessions where id = ?', args: [sessionId] })).rows;
    expect(JSON.parse(String(row?.status_reason))).toEqual({ code: 'WHATSAPP_UNREACHABLE', message: 'no status: getaddrinfo ENOTFOUND', at: t0 + 2 });
    // STARTING since the session was created: a retry that fails differently is no new status.
    expect(Number(row?.status_since)).toBeLessThan(t0 + 1);

    await send({ name: 'connection.update', status: 'WORKING', user: { id: '6281277777777' } }, t0 + 3);
    const working = (await api('GET', '/api/session/status', { key: apiKey })).json;
    expect(working).toMatchObject({ connected: true, status: 'WORKING', since: t0 + 3 });
    expect(working.reason).toBeUndefined();

    await send({ name: 'connection.update', status: 'LOGGED_OUT', code: 'LOGGED_OUT_BY_PHONE', reason: '401: Connection Failure' }, t0 + 4);
    expect((await api('GET', '/api/session/status', { key: apiKey })).json).toMatchObject({
      status: 'LOGGED_OUT',
      reason: { code: 'LOGGED_OUT_BY_PHONE', message: '401: Connection Failure', at: t0 + 4 },
      since: t0 + 4,
    });
    await script.close();
  });

  it('shows lastSeenAt while WORKING from the seen frames of the connector holding the session, and ignores others', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'seer' });
    const { sessionId, apiKey } = await createSession(api);
    await script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId);
    const t0 = Date.now();
    const open = event(sessionId, { name: 'connection.update', status: 'WORKING', user: { id: '6281288888888' } }, t0);
    script.send(open);
    await script.next('ack', (a) => a.ids.includes(open.id));
    expect((await api('GET', '/api/session/status', { key: apiKey })).json).toMatchObject({ status: 'WORKING', lastSeenAt: t0 });

    script.send({ type: 'seen', sessions: [{ sessionId, at: t0 + 5_000 }] });
    await eventually(async () => expect((await api('GET', '/api/session/status', { key: apiKey })).json.lastSeenAt).toBe(t0 + 5_000));

    // Another connector cannot vouch for a session it does not hold.
    const other = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'stranger' });
    other.script.send({ type: 'seen', sessions: [{ sessionId, at: t0 + 60_000 }] });
    // A ping that is not byte-identical is answered by the handler, after the frame before it on this socket.
    other.script.send('{"type": "ping"}');
    await other.script.next('pong');
    expect((await api('GET', '/api/session/status', { key: apiKey })).json.lastSeenAt).toBe(t0 + 5_000);
    await other.script.close();

    const lost = event(sessionId, { name: 'connection.update', status: 'STARTING', code: 'CONNECTION_LOST', reason: '428: closed' }, t0 + 7_000);
    script.send(lost);
    await script.next('ack', (a) => a.ids.includes(lost.id));
    expect((await api('GET', '/api/session/status', { key: apiKey })).json.lastSeenAt).toBeUndefined();
    await script.close();
  });

  it('says CONNECTOR_OFFLINE while no connector holds the session', async () => {
    const { apiKey } = await createSession(api);
    const answer = (await api('GET', '/api/session/status', { key: apiKey })).json;
    expect(answer, JSON.stringify(answer)).toMatchObject({ connected: false, status: 'STARTING', reason: { code: 'CONNECTOR_OFFLINE' } });
  });

  it('gives a status set by the API a reason until the connector reports: STOPPED_BY_USER, LOGIN_RESET', async () => {
    const { apiKey, sessionId } = await createSession(api);
    await api('POST', '/api/session/logout', { key: apiKey });
    const [row] = (await stack.db.execute({ sql: 'select status, status_reason from sessions where id = ?', args: [sessionId] })).rows;
    expect(row?.status).toBe('LOGGED_OUT');
    expect(JSON.parse(String(row?.status_reason))).toMatchObject({ code: 'LOGIN_RESET' });
    expect((await api('GET', '/api/session/status', { key: apiKey })).json).toMatchObject({ status: 'LOGGED_OUT', reason: { code: 'LOGIN_RESET' } });
  });

  it('tells the connector the phone a session was created for, and refuses a bad phone with 400 and no session', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'phones' });
    const { sessionId } = await createSession(api, { phone: '0812-3456-7890' });
    const desired = await script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId);
    expect(desired.sessions[0]).toEqual({ sessionId, state: 'running', authEpoch: 0, phone: '6281234567890' });

    const bad = await api('POST', '/api/session/create', { admin: true, body: { sessionId: 'bad-phone', phone: 'not a phone' } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ success: false, code: 'VALIDATION_FAILED', details: [{ field: 'phone' }] });
    expect((await stack.db.execute({ sql: 'select count(*) from sessions where id = ?', args: ['bad-phone'] })).rows[0]?.[0]).toBe(0);

    // A Laravel session is keyed by its phone, which is the one a scan must come from.
    await api('POST', '/api/create-session', { admin: true, body: { phone: '6281299999999' } });
    const laravel = await script.next('desired', (f) => f.sessions[0]?.sessionId === '6281299999999');
    expect(laravel.sessions[0]).toMatchObject({ phone: '6281299999999' });
    await script.close();
  });

  it('counts every start in startEpoch, even on a session already running, so a QR_TIMEOUT stop can be resumed', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'starts' });
    const { sessionId, apiKey } = await createSession(api);
    expect((await script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId)).sessions[0]?.startEpoch).toBeUndefined();
    await api('POST', '/api/session/start', { key: apiKey });
    expect((await script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId)).sessions[0]).toMatchObject({ state: 'running', startEpoch: 1 });
    await api('POST', '/api/session/start', { key: apiKey });
    expect((await script.next('desired', (f) => f.sessions[0]?.sessionId === sessionId)).sessions[0]).toMatchObject({ state: 'running', startEpoch: 2 });
    await script.close();
  });
});
