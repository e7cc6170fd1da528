// Metrics end to end: the real connector process serving /metrics on METRICS_PORT, the Worker's /api/metrics,
// real Baileys against the simulator; both scrapes move after a real send, a real receive and a real stall.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import { sample } from '../testing/prometheus-text.ts';
import { startWebhookReceiver } from '../testing/webhook-receiver.ts';
import { newPhone, rawQr, scanApiQr, startSystem, statusBecomes, within, type System } from './harness.ts';

let system: System;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let metricsAddress: { host: string; port: number };

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  system = await startSystem({
    // The receiver is on loopback, which only a local deployment may call.
    vars: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' },
    // Any free port; a silent socket is found in about 7 s instead of a minute.
    connectorEnv: { METRICS_PORT: '0', WA_KEEPALIVE_INTERVAL_MS: '1000' },
  });
  const line = await system.connector.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('metrics on '), { what: 'the metrics address' });
  metricsAddress = { host: String(line.host), port: Number(line.port) };
}, 120_000);
afterAll(async () => {
  await system?.close();
  await receiver?.close();
});

async function connectorScrape(): Promise<string> {
  const answer = await fetch(`http://127.0.0.1:${metricsAddress.port}/metrics`);
  expect(answer.status).toBe(200);
  return answer.text();
}

async function workerScrape(): Promise<string> {
  const answer = await system.api('GET', '/api/metrics', { admin: true });
  expect(answer.status).toBe(200);
  return answer.json as string;
}

const value = (text: string, series: string) => sample(text, series) ?? 0;

/** A session with a webhook to the receiver, paired with a fresh phone and WORKING. */
async function workingSession() {
  const phone = newPhone();
  const created = await system.api('POST', '/api/session/create', { admin: true, body: { webhookUrl: `${receiver.url}/kabar` } });
  expect(created.status).toBe(201);
  const { sessionId, apiKey } = created.json as { sessionId: string; apiKey: string };
  await scanApiQr(system, () => rawQr(system.api, apiKey), phone);
  await statusBecomes(system.api, apiKey, 'WORKING', true);
  return { sessionId, apiKey, phone };
}

describe('metrics', () => {
  it('serves the connector metrics on loopback only, with the process figures and the hub link up', async () => {
    expect(metricsAddress.host).toBe('127.0.0.1');
    const text = await connectorScrape();
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
    expect(sample(text, 'kabar_connector_hub_link_up')).toBe(1);
  });

  it('counts a send through the API and a message from a contact on both the connector and the Worker', async () => {
    const connectorBefore = await connectorScrape();
    const workerBefore = await workerScrape();
    const { apiKey, phone } = await workingSession();
    const contact = newPhone();

    const sent = await system.api('POST', '/api/send', { key: apiKey, body: { to: contact, message: 'halo dari kabar' } });
    expect(sent.status).toBe(200);
    const { id } = await system.simulator.contactSend(contact, phone, 'halo juga');
    await within(receiver.next((h) => JSON.parse(h.body).data?.messageId === id), 30_000, 'the webhook of the contact’s message');

    const connectorText = await eventually(async () => {
      const text = await connectorScrape();
      expect(value(text, 'kabar_connector_messages_total{direction="out",type="text"}')).toBe(value(connectorBefore, 'kabar_connector_messages_total{direction="out",type="text"}') + 1);
      expect(value(text, 'kabar_connector_messages_total{direction="in",type="text"}')).toBe(value(connectorBefore, 'kabar_connector_messages_total{direction="in",type="text"}') + 1);
      expect(value(text, 'kabar_connector_outbox_events')).toBe(0);
      return text;
    });
    expect(value(connectorText, 'kabar_connector_sessions{status="WORKING",reason="NONE"}')).toBeGreaterThan(value(connectorBefore, 'kabar_connector_sessions{status="WORKING",reason="NONE"}'));
    expect(value(connectorText, 'kabar_connector_event_ack_lag_seconds_count')).toBeGreaterThan(value(connectorBefore, 'kabar_connector_event_ack_lag_seconds_count'));
    expect(value(connectorText, 'kabar_connector_outbox_oldest_age_seconds')).toBe(0);
    expect(value(connectorText, 'kabar_connector_media_jobs_pending')).toBe(0);

    const workerText = await eventually(async () => {
      const text = await workerScrape();
      expect(value(text, 'kabar_messages_total{direction="out",type="text"}')).toBe(value(workerBefore, 'kabar_messages_total{direction="out",type="text"}') + 1);
      expect(value(text, 'kabar_messages_total{direction="in",type="text"}')).toBe(value(workerBefore, 'kabar_messages_total{direction="in",type="text"}') + 1);
      expect(value(text, 'kabar_webhook_deliveries{outcome="delivered"}')).toBeGreaterThan(value(workerBefore, 'kabar_webhook_deliveries{outcome="delivered"}'));
      return text;
    });
    const connector = system.connector.connectorId;
    expect(sample(workerText, `kabar_hub_connector_attached{connector="${connector}"}`)).toBe(1);
    expect(value(workerText, `kabar_hub_connector_working_sessions{connector="${connector}"}`)).toBeGreaterThan(value(workerBefore, `kabar_hub_connector_working_sessions{connector="${connector}"}`));
    expect(value(workerText, 'kabar_sessions{status="WORKING",reason="NONE"}')).toBeGreaterThan(value(workerBefore, 'kabar_sessions{status="WORKING",reason="NONE"}'));
    expect(value(workerText, 'kabar_webhook_delivery_lag_seconds_count')).toBeGreaterThan(0);
  }, 120_000);

  it('counts a stalled WhatsApp connection and the reconnect that follows it', async () => {
    const { apiKey, phone } = await workingSession();
    const before = await connectorScrape();
    const reconnected = system.simulator.events.waitFor('device-connected', (d) => d.phone === phone, 30_000);
    expect(system.simulator.stall(phone)).toEqual({ connections: 1 });
    await reconnected;
    await statusBecomes(system.api, apiKey, 'WORKING', true);
    const text = await connectorScrape();
    expect(value(text, 'kabar_connector_stalls_total')).toBe(value(before, 'kabar_connector_stalls_total') + 1);
    expect(value(text, 'kabar_connector_reconnects_total{reason="CONNECTION_LOST"}')).toBe(value(before, 'kabar_connector_reconnects_total{reason="CONNECTION_LOST"}') + 1);
  }, 120_000);
});
