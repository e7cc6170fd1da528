// WhatsApp's reach-out time lock end to end (Worker, hub, connector process, real Baileys, simulator): the
// simulator announces the lock as WhatsApp does (a mex notification), and the session's queue pauses with
// the reason and its end, the user hears it as session.warning by webhook, and a resume after the lock
// lifted sends what waited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import { startWebhookReceiver } from '../testing/webhook-receiver.ts';
import { newPhone, scanApiQr, startSystem, statusBecomes, within, type System } from './harness.ts';

let system: System;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // Unpaced: what holds a message back here is the lock, not the pace.
  system = await startSystem({ vars: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }, connectorEnv: { PACING_DEFAULT: 'off' } });
});
afterAll(async () => {
  await system?.close();
  await receiver?.close();
});

describe('a reach-out time lock', () => {
  it('pauses the queue with REACH_OUT_LOCKED and its end, posts session.warning, and a resume once lifted sends the rest', async () => {
    const { api, simulator } = system;
    const phone = newPhone();
    const contact = newPhone();
    const created = await api('POST', '/api/session/create', { admin: true, body: { webhookUrl: `${receiver.url}/kabar`, webhookEvents: ['session.warning', 'qr'] } });
    expect(created.status).toBe(201);
    const { sessionId, apiKey } = created.json as { sessionId: string; apiKey: string };
    const hook = (event: string) =>
      within(
        receiver.next((h) => {
          const envelope = JSON.parse(h.body);
          return envelope.sessionId === sessionId && envelope.event === event;
        }),
        20_000,
        `webhook ${event}`,
      ).then((h) => JSON.parse(h.body));
    const qr = await hook('qr');
    await scanApiQr(system, async () => qr.data.qr, phone);
    await statusBecomes(api, apiKey, 'WORKING', true);
    const send = (body: string) => ({ to: contact, type: 'text', text: { body } });
    const fromPhone = () => simulator.inbox(contact).filter((m) => m.from === phone);

    const first = await api('POST', '/api/messages/batch', { key: apiKey, body: { messages: [send('sebelum')] } });
    expect(first.status).toBe(202);
    await eventually(() => expect(fromPhone()).toHaveLength(1));

    // WhatsApp gives the end in whole seconds.
    const until = Math.floor((Date.now() + 3_600_000) / 1_000) * 1_000;
    expect(simulator.reachoutLock(phone, { endsAt: until, enforcementType: 'DEFAULT' })).toEqual({ devices: 1 });
    const warning = await hook('session.warning');
    expect(warning.data).toMatchObject({ code: 'REACH_OUT_LOCKED', until, queuePaused: true });

    const held = await api('POST', '/api/messages/batch', { key: apiKey, body: { messages: [send('satu'), send('dua')] } });
    expect(held.status).toBe(202);
    const ids = held.json.messages.map((m: { messageId: string }) => m.messageId);
    const queue = await api('GET', '/api/queue', { key: apiKey });
    expect(queue.status).toBe(200);
    expect(queue.json.queue).toMatchObject({ depth: 2, paused: true, pausedReason: { code: 'REACH_OUT_LOCKED', until }, nextSendAt: null });
    expect(fromPhone()).toHaveLength(1);

    expect(simulator.reachoutLock(phone, undefined)).toEqual({ devices: 1 });
    const resumed = await api('POST', '/api/queue/resume', { key: apiKey });
    expect(resumed.status).toBe(200);
    expect(resumed.json.queue).toMatchObject({ paused: false, pausedReason: null });
    await eventually(() => expect(fromPhone().map((m) => m.id).slice(1)).toEqual(ids));
  }, 90_000);
});
