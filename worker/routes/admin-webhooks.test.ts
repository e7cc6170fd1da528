// The webhook delivery log under both credentials, and replaying a dead-lettered delivery, through the real
// Worker, its real queues and a real HTTP receiver; and the connectors list from the hub's own state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorFrame, SessionEvent } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { eventually } from '../../testing/eventually.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { startWebhookReceiver } from '../../testing/webhook-receiver.ts';

let stack: Stack;
let api: Api;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let connector: ScriptedConnector;
/** Paths the receiver answers 503 on, until a test says the backend is back. */
const down = new Set<string>();

beforeAll(async () => {
  receiver = await startWebhookReceiver((hook) => ({ status: down.has(hook.path) ? 503 : 200 }));
  // The receiver is on loopback, which only local development may target.
  stack = await startStack({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_BASE_SECONDS: '0' }, { webhookMaxRetries: 1 });
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'ops-1' })).script;
});
afterAll(async () => {
  await connector.close();
  await stack.close();
  await receiver.close();
});

let counter = 0;
async function emit(sessionId: string, text: string): Promise<string> {
  const event: SessionEvent = { name: 'message.received', messageId: `M${++counter}`, from: '6281299990000', text, timestamp: 1700000000000 };
  const frame: ConnectorFrame = { type: 'event', id: `ops-${counter}-${Date.now()}`, sessionId, at: Date.now(), event };
  connector.send(frame);
  await connector.next('ack', (a) => a.ids.includes(frame.id));
  return frame.id;
}

type Delivery = { eventId: string; sessionId: string; outcome: string };

async function deliveriesOf(eventId: string): Promise<Delivery[]> {
  return (await api('GET', `/api/webhooks/deliveries?eventId=${eventId}`, { admin: true })).json.deliveries;
}

describe('GET /api/webhooks/deliveries', () => {
  it("serves a session key its own session's attempts, and the admin token any session's or all", async () => {
    const a = await createSession(api, { webhookUrl: `${receiver.url}/a` });
    const b = await createSession(api, { webhookUrl: `${receiver.url}/b` });
    const fromA = await emit(a.sessionId, 'to a');
    const fromB = await emit(b.sessionId, 'to b');
    await eventually(async () => expect((await deliveriesOf(fromB)).map((d) => d.outcome)).toEqual(['delivered']));
    await eventually(async () => expect((await deliveriesOf(fromA)).map((d) => d.outcome)).toEqual(['delivered']));

    const byKey = await api('GET', '/api/webhooks/deliveries', { key: a.apiKey });
    expect(byKey.status).toBe(200);
    expect(byKey.json.deliveries.map((d: Delivery) => d.eventId)).toEqual([fromA]);

    const bySession = await api('GET', `/api/webhooks/deliveries?sessionId=${b.sessionId}`, { admin: true });
    expect(bySession.json.deliveries.map((d: Delivery) => [d.eventId, d.sessionId])).toEqual([[fromB, b.sessionId]]);

    const all = (await api('GET', '/api/webhooks/deliveries?limit=200', { admin: true })).json.deliveries.map((d: Delivery) => d.eventId);
    expect(all).toEqual(expect.arrayContaining([fromA, fromB]));
  });

  it("refuses a session key asking for another session's attempts (403), and an unknown session for the admin (404)", async () => {
    const a = await createSession(api);
    const b = await createSession(api);
    expect(await api('GET', `/api/webhooks/deliveries?sessionId=${b.sessionId}`, { key: a.apiKey })).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
    expect(await api('GET', `/api/webhooks/deliveries?sessionId=${a.sessionId}`, { key: a.apiKey })).toMatchObject({ status: 200, json: { deliveries: [] } });
    expect(await api('GET', '/api/webhooks/deliveries?sessionId=nobody-here', { admin: true })).toMatchObject({ status: 404, json: { code: 'SESSION_NOT_FOUND' } });
  });

  it('refuses no credential (401), a wrong admin token (401), and bad queries (400) under either credential', async () => {
    const { apiKey } = await createSession(api);
    expect(await api('GET', '/api/webhooks/deliveries')).toMatchObject({ status: 401, json: { code: 'UNAUTHORISED' } });
    expect(await api('GET', '/api/webhooks/deliveries', { headers: { authorization: 'Bearer wrong' } })).toMatchObject({ status: 401, json: { code: 'UNAUTHORISED' } });
    for (const query of ['?limit=0', '?limit=x', '?sessionId=a%20b']) {
      expect(await api('GET', `/api/webhooks/deliveries${query}`, { admin: true })).toMatchObject({ status: 400, json: { code: 'VALIDATION_FAILED' } });
      expect(await api('GET', `/api/webhooks/deliveries${query}`, { key: apiKey })).toMatchObject({ status: 400, json: { code: 'VALIDATION_FAILED' } });
    }
  });
});

describe('POST /api/webhooks/deliveries/{eventId}/replay', () => {
  it('delivers a dead-lettered event again once the backend is back, and refuses to replay a delivered one', async () => {
    const { sessionId } = await createSession(api, { webhookUrl: `${receiver.url}/flaky` });
    down.add('/flaky');
    const eventId = await emit(sessionId, 'first try fails');
    await eventually(async () => expect((await deliveriesOf(eventId)).map((d) => d.outcome)).toContain('dead'), { timeoutMs: 20_000 });
    const failedTries = receiver.received.filter((h) => h.headers['x-kabar-event-id'] === eventId).length;

    down.delete('/flaky');
    expect(await api('POST', `/api/webhooks/deliveries/${eventId}/replay`, { admin: true })).toMatchObject({ status: 202, json: { success: true, eventId, sessionId } });
    const hook = await eventually(() => {
      const hooks = receiver.received.filter((h) => h.headers['x-kabar-event-id'] === eventId);
      expect(hooks).toHaveLength(failedTries + 1);
      return hooks[failedTries]!;
    });
    expect(JSON.parse(hook.body)).toMatchObject({ id: eventId, event: 'message.received', sessionId, data: { text: 'first try fails' } });
    await eventually(async () => expect((await deliveriesOf(eventId))[0]?.outcome).toBe('delivered'));

    expect(await api('POST', `/api/webhooks/deliveries/${eventId}/replay`, { admin: true })).toMatchObject({ status: 409, json: { code: 'ALREADY_DELIVERED' } });
  });

  it('answers 404 for an unknown event and for an event never delivered, and refuses a session key (403) or no token (401)', async () => {
    const { sessionId, apiKey } = await createSession(api);
    // No webhook URL and no WEBHOOK_URL: the event is stored, and no delivery is attempted.
    const quiet = await emit(sessionId, 'no webhook');
    expect(await api('POST', '/api/webhooks/deliveries/no-such-event/replay', { admin: true })).toMatchObject({ status: 404, json: { code: 'NOT_FOUND' } });
    expect(await api('POST', `/api/webhooks/deliveries/${quiet}/replay`, { admin: true })).toMatchObject({ status: 404, json: { code: 'NOT_FOUND' } });
    expect(await api('POST', `/api/webhooks/deliveries/${quiet}/replay`, { key: apiKey })).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
    expect(await api('POST', `/api/webhooks/deliveries/${quiet}/replay`)).toMatchObject({ status: 401, json: { code: 'UNAUTHORISED' } });
    expect(await deliveriesOf(quiet)).toEqual([]);
  });
});

describe('POST /api/webhooks/requeue', () => {
  const pendingJobs = async () => (await stack.db.execute('SELECT event_id FROM webhook_jobs')).rows.map((row) => String(row.event_id));

  it('keeps a record of each queued job until it is delivered or given up on', async () => {
    const { sessionId } = await createSession(api, { webhookUrl: `${receiver.url}/record` });
    down.add('/record');
    const failing = await emit(sessionId, 'kept while it fails');
    await eventually(async () => expect((await deliveriesOf(failing)).map((d) => d.outcome)).toContain('failed'), { timeoutMs: 20_000 });
    expect(await pendingJobs()).toContain(failing);
    await eventually(async () => expect((await deliveriesOf(failing)).map((d) => d.outcome)).toContain('dead'), { timeoutMs: 20_000 });
    await eventually(async () => expect(await pendingJobs()).not.toContain(failing));

    down.delete('/record');
    const delivered = await emit(sessionId, 'gone once delivered');
    await eventually(async () => expect((await deliveriesOf(delivered)).map((d) => d.outcome)).toEqual(['delivered']));
    await eventually(async () => expect(await pendingJobs()).not.toContain(delivered));
  });

  it('puts a job the queue lost back on it, and the event reaches the webhook', async () => {
    const { sessionId } = await createSession(api, { webhookUrl: `${receiver.url}/lost` });
    const eventId = await emit(sessionId, 'lost with the queue');
    await eventually(async () => expect((await deliveriesOf(eventId)).map((d) => d.outcome)).toEqual(['delivered']));
    // What a queue that lost the job leaves behind: the job's record, and nothing on the queue.
    await stack.db.execute({ sql: 'INSERT INTO webhook_jobs (event_id, session_id) VALUES (?, ?)', args: [eventId, sessionId] });
    const pending = await pendingJobs();

    expect(await api('POST', '/api/webhooks/requeue', { admin: true })).toMatchObject({ status: 202, json: { success: true, requeued: pending.length } });
    await eventually(() => expect(receiver.received.filter((h) => h.headers['x-kabar-event-id'] === eventId)).toHaveLength(2));
    await eventually(async () => expect(await pendingJobs()).not.toContain(eventId));
  });

  it('refuses a session key (403) and no token (401)', async () => {
    const { apiKey } = await createSession(api);
    expect(await api('POST', '/api/webhooks/requeue', { key: apiKey })).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
    expect(await api('POST', '/api/webhooks/requeue')).toMatchObject({ status: 401, json: { code: 'UNAUTHORISED' } });
  });
});

describe('GET /api/connectors', () => {
  it('lists attached connectors with their sessions and load, and one that went away as not attached', async () => {
    const { sessionId } = await createSession(api);
    await connector.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId));
    const other = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'ops-2' })).script;
    let answer = await api('GET', '/api/connectors', { admin: true });
    expect(answer.status).toBe(200);
    expect(answer.json.connectors.find((c: { connectorId: string }) => c.connectorId === 'ops-1')).toMatchObject({ attached: true, sessions: expect.arrayContaining([sessionId]), working: 0 });
    expect(answer.json.connectors.find((c: { connectorId: string }) => c.connectorId === 'ops-2')).toMatchObject({ attached: true });

    await other.close();
    answer = await eventually(async () => {
      const now = await api('GET', '/api/connectors', { admin: true });
      expect(now.json.connectors.find((c: { connectorId: string }) => c.connectorId === 'ops-2')?.attached ?? false).toBe(false);
      return now;
    });
    expect(answer.json.connectors.find((c: { connectorId: string }) => c.connectorId === 'ops-1')).toMatchObject({ attached: true });
  });

  it('refuses a session key (403) and no token (401)', async () => {
    const { apiKey } = await createSession(api);
    expect(await api('GET', '/api/connectors', { key: apiKey })).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
    expect(await api('GET', '/api/connectors')).toMatchObject({ status: 401, json: { code: 'UNAUTHORISED' } });
  });
});
