import { createHmac } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorFrame, SessionEvent } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { eventually } from '../../testing/eventually.ts';
import { startWebhookReceiver } from '../../testing/webhook-receiver.ts';

let stack: Stack;
let api: Api;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let connector: ScriptedConnector;
const DEFAULT_SECRET = 'deployment-wide-webhook-secret';

beforeAll(async () => {
  receiver = await startWebhookReceiver((hook) => {
    if (hook.path === '/down') return { status: 503 };
    if (hook.path === '/slow') return { hang: true };
    if (hook.path === '/moved') return { status: 302, headers: { location: `${receiver.url}/moved-here` } };
    return { status: 200 };
  });
  stack = await startStack(
    { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_BASE_SECONDS: '0', WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_URL: `${receiver.url}/default`, WEBHOOK_SECRET: DEFAULT_SECRET },
    { webhookMaxRetries: 2 },
  );
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'webhooks' })).script;
});
afterAll(async () => {
  await connector.close();
  await stack.close();
  await receiver.close();
});

const hmac = (secret: string, text: string) => `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;
const incoming = (text: string): SessionEvent => ({ name: 'message.received', messageId: `M${Math.random()}`, from: '6281299990000', text, timestamp: 1700000000000 });

describe('webhook delivery', () => {
  it('posts the signed envelope with Content-Length, verifiable as documented', async () => {
    const secret = 'session-secret-0123456789';
    const { sessionId } = await createSession(api, { webhookUrl: `${receiver.url}/hooks/a`, webhookSecret: secret });
    const id = await connector.emit(sessionId, incoming('halo 👋'));
    const hook = await receiver.next((h) => h.headers['x-kabar-event-id'] === id);
    expect(hook.path).toBe('/hooks/a');
    expect(JSON.parse(hook.body)).toEqual({
      id,
      event: 'message.received',
      sessionId,
      timestamp: expect.any(Number),
      data: { messageId: expect.any(String), from: '6281299990000', text: 'halo 👋', timestamp: 1700000000000 },
    });
    expect(hook.headers['content-length']).toBe(String(Buffer.byteLength(hook.body)));
    expect(hook.headers['transfer-encoding']).toBeUndefined();
    expect(hook.headers['content-type']).toBe('application/json');
    const timestamp = String(hook.headers['x-kabar-timestamp']);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(300);
    expect(hook.headers['x-kabar-signature']).toBe(hmac(secret, `${timestamp}.${hook.body}`));
    expect(hook.headers['x-hub-signature-256']).toBe(hmac(secret, hook.body));
    expect(hook.headers['x-kabar-event']).toBe('message.received');
    expect(hook.headers.authorization).toBeUndefined();
  });

  it("falls back to WEBHOOK_URL and WEBHOOK_SECRET, and sends the owner's token stored through the Laravel surface", async () => {
    await api('PUT', '/api/client/store', { admin: true, body: { phone: '6281277770000', user_id: 7, api_token: 'sanctum|token' } });
    const id = await connector.emit('6281277770000', { name: 'connection.update', status: 'WORKING', user: { id: '6281277770000:1@s.whatsapp.net' } });
    const hook = await receiver.next((h) => h.headers['x-kabar-event-id'] === id);
    expect(hook.path).toBe('/default');
    expect(hook.headers.authorization).toBe('Bearer sanctum|token');
    expect(hook.headers['x-kabar-signature']).toBe(hmac(DEFAULT_SECRET, `${hook.headers['x-kabar-timestamp']}.${hook.body}`));
    expect(JSON.parse(hook.body)).toMatchObject({ event: 'connection.update', data: { status: 'WORKING' } });
  });

  it('delivers only the events a session subscribed to', async () => {
    const { sessionId } = await createSession(api, { webhookUrl: `${receiver.url}/filtered`, webhookEvents: ['message.received'] });
    const qrId = await connector.emit(sessionId, { name: 'qr', qr: '2@x,y,z', qrDataUrl: 'data:image/png;base64,AA' });
    const messageId = await connector.emit(sessionId, incoming('only me'));
    await receiver.next((h) => h.headers['x-kabar-event-id'] === messageId);
    expect(receiver.received.filter((h) => h.headers['x-kabar-event-id'] === qrId)).toEqual([]);
  });

  it('delivers an event the connector sends again once: resent after its ack, or sent twice before one', async () => {
    const { sessionId } = await createSession(api, { webhookUrl: `${receiver.url}/hooks/resent` });
    const acked = { type: 'event', id: `wh-acked-${Date.now()}`, sessionId, at: Date.now(), event: incoming('acked, then sent again') } satisfies ConnectorFrame;
    connector.send(acked);
    await connector.next('ack', (a) => a.ids.includes(acked.id));
    await receiver.next((h) => h.headers['x-kabar-event-id'] === acked.id);
    connector.send(acked);
    await connector.next('ack', (a) => a.ids.includes(acked.id));
    // The second copy leaves before the first is acked, as a connector resending over a new link does.
    const twice = { ...acked, id: `wh-twice-${Date.now()}`, event: incoming('sent twice, unacked') };
    connector.send(twice);
    connector.send(twice);
    // A later event of the same session is delivered after every job queued before it.
    const marker = await connector.emit(sessionId, incoming('after the copies'));
    await receiver.next((h) => h.headers['x-kabar-event-id'] === marker);
    const deliveries = (id: string) => receiver.received.filter((h) => h.headers['x-kabar-event-id'] === id);
    expect(deliveries(twice.id)).toHaveLength(1);
    expect(deliveries(acked.id)).toHaveLength(1);
  });

  it('skips a second copy of a job on the queue once the first was delivered', async () => {
    const { sessionId } = await createSession(api, { webhookUrl: `${receiver.url}/hooks/copied` });
    const id = await connector.emit(sessionId, incoming('queued twice'));
    await receiver.next((h) => h.headers['x-kabar-event-id'] === id);
    const env = await stack.worker.getEnv();
    await env.WEBHOOKS.send({ eventId: id, sessionId });
    const marker = await connector.emit(sessionId, incoming('after the copy'));
    await receiver.next((h) => h.headers['x-kabar-event-id'] === marker);
    expect(receiver.received.filter((h) => h.headers['x-kabar-event-id'] === id)).toHaveLength(1);
  });

  it('retries a failing backend, then gives up into the dead-letter queue, logging every attempt', async () => {
    const { sessionId, apiKey } = await createSession(api, { webhookUrl: `${receiver.url}/down` });
    const id = await connector.emit(sessionId, incoming('will fail'));
    // Waits on the delivery log itself: the dead-letter consumer writes the last row.
    const log = await eventually(async () => {
      const deliveries: { outcome: string; statusCode: number | null; attempt: number }[] = (await api('GET', `/api/webhooks/deliveries?eventId=${id}`, { key: apiKey })).json.deliveries;
      expect(deliveries.map((d) => d.outcome)).toContain('dead');
      return deliveries;
    }, { timeoutMs: 20_000 });
    expect(receiver.received.filter((h) => h.headers['x-kabar-event-id'] === id)).toHaveLength(3);
    const oldestFirst = [...log].reverse();
    expect(oldestFirst.map((d) => d.outcome)).toEqual(['failed', 'failed', 'failed', 'dead']);
    expect(oldestFirst.slice(0, 3).map((d) => d.statusCode)).toEqual([503, 503, 503]);
    expect(oldestFirst.slice(0, 3).map((d) => d.attempt)).toEqual([1, 2, 3]);
  });

  it('gives up on a backend that does not answer within WEBHOOK_TIMEOUT_MS and records why', async () => {
    const { sessionId, apiKey } = await createSession(api, { webhookUrl: `${receiver.url}/slow` });
    const id = await connector.emit(sessionId, incoming('slow'));
    const log = await eventually(async () => {
      const deliveries: { outcome: string; error: string | null }[] = (await api('GET', `/api/webhooks/deliveries?eventId=${id}`, { key: apiKey })).json.deliveries;
      expect(deliveries.length).toBeGreaterThan(0);
      return deliveries;
    });
    expect(log[log.length - 1]).toMatchObject({ outcome: 'failed', error: 'timed out' });
  });

  it('does not follow a redirect: the 3xx is a failed delivery that says where it pointed', async () => {
    const { sessionId, apiKey } = await createSession(api, { webhookUrl: `${receiver.url}/moved` });
    const id = await connector.emit(sessionId, incoming('moved'));
    const log = await eventually(async () => {
      const deliveries: { outcome: string; statusCode: number | null; error: string | null }[] = (await api('GET', `/api/webhooks/deliveries?eventId=${id}`, { key: apiKey })).json.deliveries;
      expect(deliveries.length).toBeGreaterThan(0);
      return deliveries;
    });
    expect(log.find((d) => d.outcome !== 'dead')).toEqual(
      expect.objectContaining({ outcome: 'failed', statusCode: 302, error: `HTTP 302 redirect to ${receiver.url}/moved-here not followed: set the final URL as the webhook` }),
    );
    expect(receiver.received.filter((h) => h.path === '/moved-here')).toEqual([]);
  });

  it("drops a queued job whose event belongs to another session, never posting it to that session's URL", async () => {
    const victim = await createSession(api, { webhookUrl: `${receiver.url}/victim` });
    const other = await createSession(api, { webhookUrl: `${receiver.url}/forged` });
    const id = await connector.emit(victim.sessionId, incoming('for the victim only'));
    await receiver.next((h) => h.path === '/victim' && h.headers['x-kabar-event-id'] === id);
    const env = await stack.worker.getEnv();
    await env.WEBHOOKS.send({ eventId: id, sessionId: other.sessionId });
    const forged = () => receiver.received.filter((h) => h.path === '/forged' && h.headers['x-kabar-event-id'] === id);
    const dropped = () => stack.logs().some((line) => line.includes(`webhook job dropped: event ${id} belongs to session ${victim.sessionId}`));
    // Whichever happens first settles it: the consumer either posted the event or logged the drop.
    await eventually(() => expect(forged().length > 0 || dropped()).toBe(true), { timeoutMs: 15_000 });
    expect(forged()).toEqual([]);
    expect(dropped()).toBe(true);
  });

  it('lists only the deliveries of the calling key\'s session, and checks its query', async () => {
    const { apiKey } = await createSession(api);
    expect((await api('GET', '/api/webhooks/deliveries', { key: apiKey })).json).toEqual({ success: true, deliveries: [] });
    expect((await api('GET', '/api/webhooks/deliveries?limit=0', { key: apiKey })).status).toBe(400);
    expect((await api('GET', '/api/webhooks/deliveries')).status).toBe(401);
  });

  it("tells the session's admin streams of every delivery of a burst, each with its outcome", async () => {
    const { sessionId } = await createSession(api, { webhookUrl: `${receiver.url}/hooks/announced` });
    const pass = await api('POST', '/api/stream/passes', { admin: true, body: { sessionId } });
    expect(pass.status).toBe(201);
    const socket = new WebSocket(`${stack.hubUrl}/api/stream?pass=${pass.json.pass}`);
    const heard: any[] = [];
    socket.on('message', (data) => heard.push(JSON.parse(data.toString())));
    await eventually(() => expect(heard.some((m) => m.event === 'stream.ready')).toBe(true));
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await connector.emit(sessionId, incoming(`burst ${i}`)));
    await eventually(() =>
      expect(heard.filter((m) => m.event === 'webhook.delivery').map((m) => m.data.eventId).sort()).toEqual([...ids].sort()),
    );
    expect(heard.filter((m) => m.event === 'webhook.delivery').every((m) => m.sessionId === sessionId && m.data.outcome === 'delivered')).toBe(true);
    socket.close();
  });
});

describe('live events over a WebSocket', () => {
  function watch(query: string) {
    const socket = new WebSocket(`${stack.hubUrl}/api/events${query}`);
    const messages: any[] = [];
    const waiters: ((m: any) => void)[] = [];
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      messages.push(message);
      waiters.splice(0).forEach((w) => w(message));
    });
    const next = (match: (m: any) => boolean): Promise<any> => {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => {
        const check = (m: any) => (match(m) ? resolve(m) : waiters.push(check));
        waiters.push(check);
      });
    };
    return { socket, next };
  }

  it('streams QR rotations and status changes of the key\'s session only', async () => {
    const mine = await createSession(api);
    const other = await createSession(api);
    const { socket, next } = watch(`?apiKey=${mine.apiKey}`);
    expect(await next((m) => m.event === 'stream.ready')).toMatchObject({ sessionId: mine.sessionId, data: { status: 'STARTING' } });
    await connector.emit(other.sessionId, { name: 'qr', qr: '2@other', qrDataUrl: 'data:image/png;base64,BB' });
    const id = await connector.emit(mine.sessionId, { name: 'qr', qr: '2@mine', qrDataUrl: 'data:image/png;base64,AA' });
    const qr = await next((m) => m.id === id);
    expect(qr).toEqual({ id, event: 'qr', sessionId: mine.sessionId, timestamp: expect.any(Number), data: { qr: '2@mine', qrDataUrl: 'data:image/png;base64,AA' } });
    socket.close();
  });

  it('refuses a stream without a valid key, and a plain GET', async () => {
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${stack.hubUrl}/api/events?apiKey=kbr_${'B'.repeat(43)}`);
      socket.on('unexpected-response', (_, response) => resolve(response.statusCode ?? 0));
    });
    expect(refused).toBe(401);
    const { apiKey } = await createSession(api);
    expect((await api('GET', '/api/events', { key: apiKey })).status).toBe(426);
  });
});
