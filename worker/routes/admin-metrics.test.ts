// GET /api/metrics through the real Worker, its hub, queues and Turso: a scripted connector reports statuses and
// messages, a real HTTP receiver takes (or refuses) the webhooks, and the scrape is read as Prometheus would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { eventually } from '../../testing/eventually.ts';
import { sample } from '../../testing/prometheus-text.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { startWebhookReceiver } from '../../testing/webhook-receiver.ts';

let stack: Stack;
let api: Api;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver((hook) => ({ status: hook.path === '/down' ? 503 : 200 }));
  // A failed delivery waits an hour for its retry, so it is still waiting when the test scrapes.
  stack = await startStack({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_BASE_SECONDS: '3600' });
  api = apiOf(stack);
});
afterAll(async () => {
  await stack?.close();
  await receiver?.close();
});

async function scrape(): Promise<string> {
  const answer = await fetch(`${stack.url}/api/metrics`, { headers: { authorization: `Bearer ${stack.adminToken}` } });
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return answer.text();
}

let counter = 0;
async function report(connector: ScriptedConnector, sessionId: string, event: SessionEvent): Promise<void> {
  const id = `metrics-${++counter}-${Date.now()}`;
  connector.send({ type: 'event', id, sessionId, at: Date.now(), event });
  await connector.next('ack', (a) => a.ids.includes(id));
}

/** A session placed on `connector`, reported WORKING by it. */
async function workingSession(connector: ScriptedConnector, body: Record<string, unknown> = {}) {
  const session = await createSession(api, body);
  await connector.next('desired', (f) => f.sessions.some((s) => s.sessionId === session.sessionId));
  await report(connector, session.sessionId, { name: 'connection.update', status: 'WORKING', user: { id: '6281200000001' } });
  return session;
}

describe('GET /api/metrics', () => {
  it('counts sessions by status and reason, and the connectors with their load; a session whose connector left is CONNECTOR_OFFLINE', async () => {
    const connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'metrics-load' })).script;
    const before = await scrape();
    const working = (text: string) => sample(text, 'kabar_sessions{status="WORKING",reason="NONE"}') ?? 0;
    const offline = (text: string) => sample(text, 'kabar_sessions{status="WORKING",reason="CONNECTOR_OFFLINE"}') ?? 0;
    await workingSession(connector);
    await workingSession(connector);

    let text = await eventually(async () => {
      const now = await scrape();
      expect(working(now)).toBe(working(before) + 2);
      return now;
    });
    expect(sample(text, 'kabar_hub_connector_attached{connector="metrics-load"}')).toBe(1);
    expect(sample(text, 'kabar_hub_connector_sessions{connector="metrics-load"}')).toBe(2);
    expect(sample(text, 'kabar_hub_connector_working_sessions{connector="metrics-load"}')).toBe(2);
    expect(text).toContain('# TYPE kabar_sessions gauge');

    await connector.close();
    text = await eventually(async () => {
      const now = await scrape();
      expect(sample(now, 'kabar_hub_connector_attached{connector="metrics-load"}')).toBe(0);
      return now;
    });
    expect(offline(text)).toBe(offline(before) + 2);
    expect(working(text)).toBe(working(before));
  });

  it('counts messages in and out by kind, webhook deliveries by outcome with their lag, and the events waiting for a retry', async () => {
    const connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'metrics-flow' })).script;
    try {
      const before = await scrape();
      const up = await workingSession(connector, { webhookUrl: `${receiver.url}/up`, webhookEvents: ['message.received'] });
      const down = await workingSession(connector, { webhookUrl: `${receiver.url}/down`, webhookEvents: ['message.received'] });
      const received = (messageId: string, type: 'text' | 'image' = 'text'): SessionEvent => ({ name: 'message.received', messageId, from: '6281299990000', text: 'hi', timestamp: Date.now(), type });
      await report(connector, up.sessionId, received('IN1'));
      await report(connector, up.sessionId, received('IN2', 'image'));
      await report(connector, up.sessionId, { name: 'message.sent', messageId: 'OUT1', to: '6281299990000', text: 'yo', timestamp: Date.now(), source: 'api', type: 'text' });
      await report(connector, down.sessionId, received('IN3'));

      const value = (text: string, series: string) => sample(text, series) ?? 0;
      const text = await eventually(async () => {
        const now = await scrape();
        expect(value(now, 'kabar_webhook_deliveries{outcome="delivered"}')).toBe(value(before, 'kabar_webhook_deliveries{outcome="delivered"}') + 2);
        expect(value(now, 'kabar_webhook_deliveries{outcome="failed"}')).toBe(value(before, 'kabar_webhook_deliveries{outcome="failed"}') + 1);
        return now;
      }, { timeoutMs: 20_000 });
      expect(value(text, 'kabar_messages_total{direction="in",type="text"}')).toBe(value(before, 'kabar_messages_total{direction="in",type="text"}') + 2);
      expect(value(text, 'kabar_messages_total{direction="in",type="image"}')).toBe(value(before, 'kabar_messages_total{direction="in",type="image"}') + 1);
      expect(value(text, 'kabar_messages_total{direction="out",type="text"}')).toBe(value(before, 'kabar_messages_total{direction="out",type="text"}') + 1);
      expect(value(text, 'kabar_webhook_deliveries_last_hour{outcome="delivered"}')).toBe(value(before, 'kabar_webhook_deliveries_last_hour{outcome="delivered"}') + 2);
      expect(value(text, 'kabar_webhook_delivery_lag_seconds_count')).toBe(value(before, 'kabar_webhook_delivery_lag_seconds_count') + 2);
      expect(value(text, 'kabar_webhook_delivery_lag_seconds_bucket{le="+Inf"}')).toBe(value(text, 'kabar_webhook_delivery_lag_seconds_count'));
      expect(value(text, 'kabar_webhook_delivery_lag_seconds_sum')).toBeGreaterThanOrEqual(0);
      expect(value(text, 'kabar_webhook_events_retrying')).toBe(value(before, 'kabar_webhook_events_retrying') + 1);
    } finally {
      await connector.close();
    }
  });

  it('refuses no token and a wrong token (401) and a session key (403) with the JSON error, and is in the OpenAPI document', async () => {
    const { apiKey } = await createSession(api);
    expect(await api('GET', '/api/metrics')).toMatchObject({ status: 401, json: { success: false, code: 'UNAUTHORISED' } });
    expect(await api('GET', '/api/metrics', { headers: { authorization: 'Bearer wrong-token' } })).toMatchObject({ status: 401, json: { code: 'UNAUTHORISED' } });
    expect(await api('GET', '/api/metrics', { key: apiKey })).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
    expect(await api('POST', '/api/metrics', { admin: true })).toMatchObject({ status: 405 });
    const document = await api('GET', '/openapi.json');
    expect(document.json.paths['/api/metrics'].get).toMatchObject({ security: [{ adminToken: [] }], responses: { 200: { content: { 'text/plain; version=0.0.4; charset=utf-8': {} } } } });
  });
});
