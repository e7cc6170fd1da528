// Liveness end to end: a WhatsApp connection that stays open but goes silent is found by the connector's
// keep-alive, reconnected, and what WhatsApp kept meanwhile reaches the webhook once, through the Worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver } from '../testing/webhook-receiver.ts';
import { newPhone, rawQr, rows, scanApiQr, startSystem, statusBecomes, within, type System } from './harness.ts';

let system: System;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  system = await startSystem({
    // The receiver is on loopback, which only a local deployment may call.
    vars: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' },
    // Baileys ends a socket silent for the interval plus 5 s: about 7 s here, a minute at the default.
    connectorEnv: { WA_KEEPALIVE_INTERVAL_MS: '1000' },
  });
});
afterAll(async () => {
  await system?.close();
  await receiver?.close();
});

describe('a WORKING session whose WhatsApp connection stalls', () => {
  it('is detected by its unanswered pings, reconnects, and every message sent meanwhile reaches the webhook exactly once', async () => {
    const { api, simulator, stack, connector } = system;
    const phone = newPhone();
    const contact = newPhone();
    const created = await api('POST', '/api/session/create', { admin: true, body: { webhookUrl: `${receiver.url}/kabar` } });
    expect(created.status).toBe(201);
    const { sessionId, apiKey } = created.json as { sessionId: string; apiKey: string };
    const envelopes = () =>
      receiver.received.map((hook) => JSON.parse(hook.body)).filter((envelope) => envelope.sessionId === sessionId);
    const hook = (match: (envelope: any) => boolean, what: string) =>
      within(
        receiver.next((h) => {
          const envelope = JSON.parse(h.body);
          return envelope.sessionId === sessionId && match(envelope);
        }),
        30_000,
        `webhook ${what}`,
      );
    await scanApiQr(system, () => rawQr(api, apiKey), phone);
    await statusBecomes(api, apiKey, 'WORKING', true);

    const mark = connector.logs().length;
    expect(simulator.stall(phone)).toEqual({ connections: 1 });
    const reconnected = simulator.events.waitFor('device-connected', (d) => d.phone === phone, 30_000);
    const sent: string[] = [];
    for (const text of ['satu', 'dua', 'tiga']) sent.push((await simulator.contactSend(contact, phone, text)).id);

    await connector.waitForLog((l) => l.msg === 'WhatsApp stopped answering keep-alive pings; reconnecting' && l.sessionId === sessionId, {
      from: mark,
      timeoutMs: 30_000,
      what: 'the keep-alive noticing the stall',
    });
    const lost = await hook((e) => e.event === 'connection.update' && e.data.status !== 'WORKING' && /408/.test(e.data.reason ?? ''), 'a status saying why');
    expect(lost.body).toMatch(/Connection was lost/);
    await reconnected;
    await statusBecomes(api, apiKey, 'WORKING', true);

    for (const id of sent) await hook((e) => e.event === 'message.received' && e.data.messageId === id, `message.received ${id}`);
    const stored = await rows(stack, "SELECT provider_message_id AS id FROM messages WHERE session_id = ? AND direction = 'in'", [sessionId]);
    expect(stored.map((row) => row.id).sort()).toEqual([...sent].sort());
    const delivered = envelopes().filter((e) => e.event === 'message.received').map((e) => e.data.messageId);
    expect(delivered.sort()).toEqual([...sent].sort());
  });
});
