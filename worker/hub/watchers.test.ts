import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PING_FRAME, PONG_FRAME } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { eventually } from '../../testing/eventually.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { StreamCloseCode } from './watchers.ts';


let stack: Stack;
let api: Api;
let connector: ScriptedConnector;

beforeAll(async () => {
  stack = await startStack({ STREAMS_PER_SESSION: '2', STREAMS_TOTAL: '4', STREAM_IDLE_MS: '1500' });
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'watched' })).script;
});
afterAll(async () => {
  await connector.close();
  await stack.close();
});

interface Watcher {
  socket: WebSocket;
  messages: string[];
  next(match: (text: string) => boolean): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/** A WebSocket client that records every text it gets; `heartbeatMs` pings like a dashboard should. */
function open(path: string, options: { headers?: Record<string, string>; heartbeatMs?: number } = {}): Promise<Watcher> {
  const socket = new WebSocket(`${stack.hubUrl}${path}`, { headers: options.headers ?? {} });
  const messages: string[] = [];
  const waiters: { match: (t: string) => boolean; resolve: (t: string) => void }[] = [];
  socket.on('message', (data) => {
    const text = data.toString();
    messages.push(text);
    const i = waiters.findIndex((w) => w.match(text));
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(text);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  let timer: NodeJS.Timeout | undefined;
  const watcher: Watcher = {
    socket,
    messages,
    next: (match) => {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    closed: closed.finally(() => clearInterval(timer)),
    async close() {
      clearInterval(timer);
      if (socket.readyState !== WebSocket.CLOSED) socket.close(1000);
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      if (options.heartbeatMs) timer = setInterval(() => socket.send(PING_FRAME), options.heartbeatMs);
      resolve(watcher);
    });
    socket.once('unexpected-response', (_, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => reject(Object.assign(new Error(`refused with ${response.statusCode}`), { status: response.statusCode, body: JSON.parse(body || 'null') })));
    });
    socket.once('error', reject);
  });
}

const stream = (apiKey: string, heartbeatMs = 200) => open(`/api/events?apiKey=${apiKey}`, { heartbeatMs });
const isReady = (t: string) => JSON.parse(t).event === 'stream.ready';

describe('who can open a live stream', () => {
  it('treats a raw WebSocket to /hub/connect with the old watch header as a connector: a challenge, never stream.ready or events', async () => {
    const { sessionId } = await createSession(api);
    const raw = await open('/hub/connect', { headers: { 'x-kabar-watch-session': sessionId } });
    const first = JSON.parse(await raw.next(() => true));
    expect(first.type).toBe('challenge');
    await connector.emit(sessionId, { name: 'connection.update', status: 'SCAN_QR_CODE' });
    await connector.emit(sessionId, { name: 'message.received', messageId: 'SECRET1', from: '6281299990000', text: 'rahasia', timestamp: 1 });
    await raw.close();
    expect(raw.messages.some((m) => m.includes('stream.ready') || m.includes('rahasia'))).toBe(false);
    expect(raw.messages).toHaveLength(1);
  });

  it('passes no client header on from /hub/connect: a made-up stream ticket still gets a connector challenge', async () => {
    const raw = await open('/hub/connect', { headers: { 'x-kabar-stream-ticket': 'f'.repeat(64) } });
    expect(JSON.parse(await raw.next(() => true)).type).toBe('challenge');
    await raw.close();
  });

  it('gives a stream opened with a key the snapshot and the events of its session', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const watcher = await stream(apiKey);
    expect(JSON.parse(await watcher.next(isReady))).toMatchObject({ sessionId, data: { status: 'STARTING' } });
    const id = await connector.emit(sessionId, { name: 'connection.update', status: 'WORKING' });
    expect(JSON.parse(await watcher.next((t) => JSON.parse(t).id === id))).toMatchObject({ event: 'connection.update', data: { status: 'WORKING' } });
    await watcher.close();
  });
});

describe('bounds and liveness', () => {
  it('answers a watcher ping with pong', async () => {
    const { apiKey } = await createSession(api);
    const watcher = await stream(apiKey, 0);
    await watcher.next(isReady);
    watcher.socket.send(PING_FRAME);
    expect(await watcher.next((t) => t === PONG_FRAME)).toBe(PONG_FRAME);
    await watcher.close();
  });

  it('refuses a stream beyond the per-session bound and beyond the total, with a 429 JSON error', async () => {
    const a = await createSession(api);
    const b = await createSession(api);
    const c = await createSession(api);
    const opened = [await stream(a.apiKey), await stream(a.apiKey)];
    await expect(stream(a.apiKey)).rejects.toMatchObject({ status: 429, body: { success: false, code: 'RATE_LIMITED' } });
    opened.push(await stream(b.apiKey), await stream(b.apiKey));
    await expect(stream(c.apiKey)).rejects.toMatchObject({ status: 429, body: { success: false, code: 'RATE_LIMITED' } });
    // A closed stream frees its place.
    await opened.pop()!.close();
    const again = await stream(c.apiKey);
    await again.next(isReady);
    for (const w of [...opened, again]) await w.close();
  });

  it('drops a watcher that stays silent past the idle limit, freeing its place, and keeps one that pings', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const pinging = await stream(apiKey, 200);
    const silent = await stream(apiKey, 0);
    await silent.next(isReady);
    await expect(stream(apiKey)).rejects.toMatchObject({ status: 429 });
    // The hub's alarm closes the silent one: its place in the per-session bound is free again.
    const third = await eventually(() => stream(apiKey), { timeoutMs: 20_000, intervalMs: 250 });
    const id = await connector.emit(sessionId, { name: 'connection.update', status: 'WORKING' });
    await pinging.next((t) => t.includes(id));
    await third.next((t) => t.includes(id));
    expect(silent.messages.some((t) => t.includes(id))).toBe(false);
    silent.socket.terminate();
    await pinging.close();
    await third.close();
  });
});

describe('closing', () => {
  it('closes the streams of a deleted session', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const watcher = await stream(apiKey);
    await watcher.next(isReady);
    expect((await api('POST', '/api/delete', { admin: true, body: { phone: sessionId } })).status).toBe(200);
    expect((await watcher.closed).code).toBe(StreamCloseCode.sessionDeleted);
  });

  it('closes the streams opened with a key when the key is rotated, and the new key can stream', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const watcher = await stream(apiKey);
    await watcher.next(isReady);
    const rotated = await api('POST', '/api/session/rotate-key', { key: apiKey });
    expect(rotated.status).toBe(200);
    const { code } = await watcher.closed;
    expect(code).toBe(StreamCloseCode.keyRevoked);
    await connector.emit(sessionId, { name: 'message.received', messageId: 'AFTER', from: '6281299990000', text: 'after rotation', timestamp: 1 });
    expect(watcher.messages.some((m) => m.includes('after rotation'))).toBe(false);
    const fresh = await stream(rotated.json.apiKey);
    await fresh.next(isReady);
    await fresh.close();
  });
});

describe('admin streams (the dashboard)', () => {
  async function pass(body?: Record<string, unknown>): Promise<string> {
    const answer = await api('POST', '/api/stream/passes', { admin: true, ...(body ? { body } : {}) });
    expect(answer.status).toBe(201);
    return answer.json.pass;
  }
  const adminStream = async (body?: Record<string, unknown>) => open(`/api/stream?pass=${await pass(body)}`, { heartbeatMs: 200 });

  it('opens a stream over every session with a pass from the admin POST: the sessions first, then the events of each', async () => {
    const a = await createSession(api);
    const b = await createSession(api);
    await connector.emit(a.sessionId, { name: 'connection.update', status: 'SCAN_QR_CODE' });
    const watcher = await adminStream();
    const ready = JSON.parse(await watcher.next(isReady));
    expect(ready.data.sessions).toEqual(
      expect.arrayContaining([expect.objectContaining({ sessionId: a.sessionId, status: 'SCAN_QR_CODE' }), expect.objectContaining({ sessionId: b.sessionId })]),
    );
    const fromA = await connector.emit(a.sessionId, { name: 'connection.update', status: 'WORKING' });
    const fromB = await connector.emit(b.sessionId, { name: 'message.received', messageId: 'ADMIN1', from: '6281299990000', text: 'untuk admin', timestamp: 1 });
    expect(JSON.parse(await watcher.next((t) => t.includes(fromA)))).toMatchObject({ sessionId: a.sessionId, event: 'connection.update', data: { status: 'WORKING' } });
    expect(JSON.parse(await watcher.next((t) => t.includes(fromB)))).toMatchObject({ sessionId: b.sessionId, data: { text: 'untuk admin' } });
    await watcher.close();
  });

  it("opens a stream over one session with a pass for it, and gets no other session's events", async () => {
    const mine = await createSession(api);
    const other = await createSession(api);
    const watcher = await adminStream({ sessionId: mine.sessionId });
    expect(JSON.parse(await watcher.next(isReady))).toMatchObject({ sessionId: mine.sessionId, data: { status: 'STARTING' } });
    const elsewhere = await connector.emit(other.sessionId, { name: 'connection.update', status: 'WORKING' });
    const here = await connector.emit(mine.sessionId, { name: 'connection.update', status: 'WORKING' });
    await watcher.next((t) => t.includes(here));
    expect(watcher.messages.some((t) => t.includes(elsewhere))).toBe(false);
    await watcher.close();
  });

  it('spends a pass once: opening again with it, or with a made-up pass, is refused with 401 and no socket', async () => {
    const used = await pass();
    const first = await open(`/api/stream?pass=${used}`, { heartbeatMs: 200 });
    await first.next(isReady);
    await expect(open(`/api/stream?pass=${used}`)).rejects.toMatchObject({ status: 401, body: { success: false, code: 'UNAUTHORISED' } });
    await expect(open(`/api/stream?pass=${'a'.repeat(64)}.*`)).rejects.toMatchObject({ status: 401, body: { code: 'UNAUTHORISED' } });
    await expect(open('/api/stream?pass=not-a-pass')).rejects.toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    await expect(open('/api/stream')).rejects.toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    await first.close();
  });

  it('gives a pass only to the admin token: a session key, a wrong token or an unknown session is refused', async () => {
    const { apiKey } = await createSession(api);
    expect((await api('POST', '/api/stream/passes', { key: apiKey })).json).toMatchObject({ code: 'FORBIDDEN' });
    const wrong = await api('POST', '/api/stream/passes', { headers: { authorization: 'Bearer wrong-token' } });
    expect(wrong).toMatchObject({ status: 401, json: { code: 'UNAUTHORISED' } });
    expect(await api('POST', '/api/stream/passes', { admin: true, body: { sessionId: 'no-such-session' } })).toMatchObject({ status: 404, json: { code: 'SESSION_NOT_FOUND' } });
    expect(await api('POST', '/api/stream/passes', { admin: true, body: { sessionId: 'bad id!' } })).toMatchObject({ status: 400, json: { code: 'VALIDATION_FAILED' } });
  });

  it('tells a stream over every session that a session was deleted', async () => {
    const { sessionId } = await createSession(api);
    const watcher = await adminStream();
    await watcher.next(isReady);
    expect((await api('POST', '/api/delete', { admin: true, body: { phone: sessionId } })).status).toBe(200);
    expect(JSON.parse(await watcher.next((t) => JSON.parse(t).event === 'session.removed'))).toMatchObject({ sessionId });
    await watcher.close();
  });
});
