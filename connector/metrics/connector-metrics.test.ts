import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { sample } from '../../testing/prometheus-text.ts';
import type { Client } from '../db.ts';
import { createMediaJobs } from '../media/media-jobs.ts';
import { createOutbox } from '../outbox.ts';
import { createSendQueue } from '../queue/send-queue.ts';
import { withAckLag } from './ack-lag.ts';
import { createConnectorMetrics } from './connector-metrics.ts';
import { queueGauges } from './queue-gauges.ts';
import { registerScrapeGauges } from './scrape-gauges.ts';
import { useConnectorStore } from '../test-store.ts';

let db: Client;
useConnectorStore('kabar-metrics-', (store) => ({ db } = store));

const KEY = Buffer.alloc(32, 7);
const logger = pino({ level: 'silent' });


describe('connector metrics', () => {
  it('counts messages by direction and kind, and send failures by code from commands and from WhatsApp', async () => {
    const registry = new Registry();
    const metrics = createConnectorMetrics(registry);
    metrics.eventStored('s1', { name: 'message.received', messageId: 'a', from: '628111', text: 'hi', timestamp: 1 });
    metrics.eventStored('s1', { name: 'message.received', messageId: 'b', from: '628111', text: '', timestamp: 1, type: 'image' });
    metrics.eventStored('s1', { name: 'message.sent', messageId: 'c', to: '628111', text: 'yo', timestamp: 1, type: 'text', source: 'api' });
    metrics.eventStored('s1', { name: 'message.status', messageId: 'c', to: '628111', status: 'failed', timestamp: 2, error: { code: 'MESSAGE_REJECTED', message: 'no' } });
    const send = { name: 'send.text', sessionId: 's1', to: '628111', text: 'x' } as const;
    metrics.commandAnswered(send, { ok: false, error: { code: 'SESSION_NOT_CONNECTED', message: 'session is STARTING' } });
    metrics.commandAnswered({ name: 'chat.presence', sessionId: 's1', chat: '628111', state: 'typing' }, { ok: false, error: { code: 'SEND_FAILED', message: 'x' } });
    const text = await registry.metrics();
    expect(sample(text, 'kabar_connector_messages_total{direction="in",type="text"}')).toBe(1);
    expect(sample(text, 'kabar_connector_messages_total{direction="in",type="image"}')).toBe(1);
    expect(sample(text, 'kabar_connector_messages_total{direction="out",type="text"}')).toBe(1);
    expect(sample(text, 'kabar_connector_send_failures_total{code="MESSAGE_REJECTED"}')).toBe(1);
    expect(sample(text, 'kabar_connector_send_failures_total{code="SESSION_NOT_CONNECTED"}')).toBe(1);
    // A chat action is not a send.
    expect(sample(text, 'kabar_connector_send_failures_total{code="SEND_FAILED"}')).toBeUndefined();
  });

  it('counts reconnects by reason and stalls apart from them', async () => {
    const registry = new Registry();
    const metrics = createConnectorMetrics(registry);
    metrics.socketClosed({ action: 'reconnect', reason: 'CONNECTION_LOST', stalled: true });
    metrics.socketClosed({ action: 'reconnect', reason: 'WHATSAPP_UNREACHABLE', stalled: false });
    metrics.socketClosed({ action: 'logged-out', reason: 'LOGGED_OUT_BY_PHONE', stalled: false });
    const text = await registry.metrics();
    expect(sample(text, 'kabar_connector_reconnects_total{reason="CONNECTION_LOST"}')).toBe(1);
    expect(sample(text, 'kabar_connector_reconnects_total{reason="WHATSAPP_UNREACHABLE"}')).toBe(1);
    expect(sample(text, 'kabar_connector_reconnects_total{reason="LOGGED_OUT_BY_PHONE"}')).toBeUndefined();
    expect(sample(text, 'kabar_connector_stalls_total')).toBe(1);
  });

  it('measures ack lag from the time an event was emitted to the ack of it, once per event', async () => {
    const registry = new Registry();
    const metrics = createConnectorMetrics(registry);
    let now = 10_000;
    const outbox = withAckLag(createOutbox(db, KEY, { connectorId: 'lag', logger }), (lags) => metrics.eventsAcked(lags), () => now);
    const a = await outbox.add('s1', { name: 'connection.update', status: 'STARTING' }, { at: 9_000 });
    const b = await outbox.add('s1', { name: 'connection.update', status: 'WORKING' }, { at: 9_700 });
    await outbox.pending();
    // Read again after a reconnect: still one observation per ack.
    await outbox.pending();
    now = 10_050;
    await outbox.ack([a!.id, b!.id]);
    await outbox.ack([a!.id]);
    const text = await registry.metrics();
    expect(sample(text, 'kabar_connector_event_ack_lag_seconds_count')).toBe(2);
    expect(sample(text, 'kabar_connector_event_ack_lag_seconds_sum')).toBeCloseTo(1.05 + 0.35);
    expect(sample(text, 'kabar_connector_event_ack_lag_seconds_bucket{le="0.5"}')).toBe(1);
    expect(await outbox.count()).toBe(0);
  });

  it('reads sessions by status and reason, outbox depth and oldest age, and pending media jobs at scrape time', async () => {
    const registry = new Registry();
    const metrics = createConnectorMetrics(registry);
    const outbox = createOutbox(db, KEY, { connectorId: 'gauges', logger });
    const jobs = createMediaJobs(db, KEY, { connectorId: 'gauges' });
    const queue = createSendQueue(db, KEY);
    const held = [
      { sessionId: 's1', status: 'WORKING' as const },
      { sessionId: 's2', status: 'STARTING' as const },
      { sessionId: 's3', status: 'STARTING' as const },
    ];
    metrics.eventStored('s2', { name: 'connection.update', status: 'STARTING', code: 'CONNECTION_LOST', reason: '428: closed' });
    metrics.eventStored('s3', { name: 'connection.update', status: 'STARTING', code: 'CONNECTION_LOST', reason: '428: closed' });
    let linkUp = false;
    registerScrapeGauges(registry, {
      sessions: () => held.map(({ sessionId, status }) => ({ status, reason: metrics.lastReason(sessionId) })),
      outbox: () => outbox.backlog(),
      mediaJobs: () => jobs.count(),
      hubLinkReady: () => linkUp,
      sendQueue: () => queueGauges(queue, held.map((h) => h.sessionId)),
      now: () => 60_000,
    });
    let text = await registry.metrics();
    expect(sample(text, 'kabar_connector_sessions{status="WORKING",reason="NONE"}')).toBe(1);
    expect(sample(text, 'kabar_connector_sessions{status="STARTING",reason="CONNECTION_LOST"}')).toBe(2);
    expect(sample(text, 'kabar_connector_outbox_events')).toBe(0);
    expect(sample(text, 'kabar_connector_outbox_oldest_age_seconds')).toBe(0);
    expect(sample(text, 'kabar_connector_media_jobs_pending')).toBe(0);
    expect(sample(text, 'kabar_connector_hub_link_up')).toBe(0);
    expect(sample(text, 'kabar_connector_send_queue_messages')).toBe(0);
    expect(sample(text, 'kabar_connector_send_queue_paused_sessions')).toBe(0);

    await outbox.add('s1', { name: 'connection.update', status: 'WORKING' }, { at: 45_000 });
    await outbox.add('s1', { name: 'connection.update', status: 'WORKING' }, { at: 50_000 });
    const received = { name: 'message.received' as const, messageId: 'm1', from: '628111', text: '', timestamp: 1, type: 'image' as const };
    await jobs.add({ sessionId: 's1', messageId: 'm1', eventId: 'e1', event: received, message: { key: { id: 'm1', remoteJid: '628111@s.whatsapp.net' } } }, 1);
    const item = (to: string) => ({ to, message: { type: 'text' as const, text: 'antri' } });
    await queue.enqueue('s1', [{ messageId: 'q1', item: item('628111') }, { messageId: 'q2', item: item('628112') }], 1);
    await queue.enqueue('s2', [{ messageId: 'q3', item: item('628111') }], 1);
    await queue.pause('s2', { code: 'PAUSED_BY_USER', message: 'paused', at: 1, until: null });
    // Another connector's session in a shared store is not this connector's queue.
    await queue.enqueue('elsewhere', [{ messageId: 'q4', item: item('628111') }], 1);
    held.pop();
    linkUp = true;
    text = await registry.metrics();
    expect(sample(text, 'kabar_connector_sessions{status="STARTING",reason="CONNECTION_LOST"}')).toBe(1);
    expect(sample(text, 'kabar_connector_outbox_events')).toBe(2);
    expect(sample(text, 'kabar_connector_outbox_oldest_age_seconds')).toBe(15);
    expect(sample(text, 'kabar_connector_media_jobs_pending')).toBe(1);
    expect(sample(text, 'kabar_connector_hub_link_up')).toBe(1);
    expect(sample(text, 'kabar_connector_send_queue_messages')).toBe(3);
    expect(sample(text, 'kabar_connector_send_queue_paused_sessions')).toBe(1);
  });
});
