// Logging in end to end: the Worker in workerd, the connector process, real Baileys and the WhatsApp
// simulator. Pairing by code instead of a QR, and a session that refuses a phone other than its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import { startWebhookReceiver } from '../testing/webhook-receiver.ts';
import { newPhone, rawQr, rows, scanApiQr, startSystem, status, statusBecomes, within, type System } from './harness.ts';

let system: System;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  system = await startSystem({ vars: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
});
afterAll(async () => {
  await system?.close();
  await receiver?.close();
});

describe('logging in', () => {
  it('pairs by code: the API gives a code, the phone enters it, and the session is WORKING as that number', async () => {
    const { api, simulator } = system;
    const phone = newPhone();
    const created = await api('POST', '/api/session/create', { admin: true, body: { webhookUrl: `${receiver.url}/code` } });
    expect(created.status).toBe(201);
    const { sessionId, apiKey } = created.json;
    await rawQr(api, apiKey); // the session is waiting for a phone

    const answer = await api('POST', '/api/session/pair', { key: apiKey, body: { phone } });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ success: true, code: expect.stringMatching(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/), expiresAt: expect.any(Number) });
    const hook = await within(
      receiver.next((h) => {
        const envelope = JSON.parse(h.body);
        return envelope.sessionId === sessionId && envelope.event === 'pairing.code';
      }),
      15_000,
      'pairing.code webhook',
    );
    expect(JSON.parse(hook.body).data).toEqual({ code: answer.json.code, expiresAt: answer.json.expiresAt });

    await simulator.enterPairingCode(phone, answer.json.code);
    const working = await statusBecomes(api, apiKey, 'WORKING', true);
    expect(working.user?.id).toBe(phone);
    expect((await api('POST', '/api/session/pair', { key: apiKey, body: { phone } })).json).toMatchObject({ code: 'ALREADY_LOGGED_IN' });
  });

  it('unlinks a scan by another number than the session was created for, and says PHONE_MISMATCH', async () => {
    const { api, simulator, stack } = system;
    const own = newPhone();
    const other = newPhone();
    const created = await api('POST', '/api/session/create', { admin: true, body: { phone: own } });
    const { sessionId, apiKey } = created.json;
    const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === other, 15_000);
    await scanApiQr(system, () => rawQr(api, apiKey), other);
    await unlinked;
    const refused = await statusBecomes(api, apiKey, 'LOGGED_OUT', false);
    expect(refused).toMatchObject({ reason: { code: 'PHONE_MISMATCH', message: expect.stringContaining(other) } });
    await eventually(async () => {
      const [row] = await rows(stack, 'SELECT status, status_reason FROM sessions WHERE id = ?', [sessionId]);
      expect(row?.status).toBe('LOGGED_OUT');
      expect(JSON.parse(String(row?.status_reason))).toMatchObject({ code: 'PHONE_MISMATCH' });
    });
    expect((await status(api, apiKey)).user).toBeUndefined();
  });
});
