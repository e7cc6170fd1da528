// The Laravel surface end to end (admin Bearer, sessions named by phone): store, create, pair, send, delete,
// with the real connector process, real Baileys and the WhatsApp simulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import { startWebhookReceiver } from '../testing/webhook-receiver.ts';
import { newPhone, rows, scanApiQr, startSystem, within, type System } from './harness.ts';

let system: System;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // Laravel sessions have no webhook of their own: the deployment's WEBHOOK_URL is the owner's backend.
  system = await startSystem({ vars: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_URL: `${receiver.url}/laravel/webhook`, WEBHOOK_SECRET: 'deployment-webhook-secret-0123' } });
});
afterAll(async () => {
  await system?.close();
  await receiver?.close();
});

/**
 * The Laravel surface has no QR route: as in the original gateway, the QR reaches the owner's backend by
 * webhook, with the api_token from client/store as its Bearer token.
 */
async function webhookQr(sessionId: string, options: { after?: ReadonlySet<unknown> } = {}): Promise<string> {
  const hook = await within(
    receiver.next((h) => {
      const envelope = JSON.parse(h.body);
      return envelope.sessionId === sessionId && envelope.event === 'qr' && !options.after?.has(h);
    }),
    15_000,
    `qr webhook for ${sessionId}`,
  );
  expect(hook.path).toBe('/laravel/webhook');
  expect(hook.headers.authorization).toBe('Bearer laravel-token-for-webhooks');
  return JSON.parse(hook.body).data.qr;
}

describe('a session on the Laravel surface', () => {
  it('is stored, created by phone, paired, sends "Pesan berhasil dikirim!" and is deleted along with its WhatsApp link', async () => {
    const { api, simulator, stack, connector } = system;
    const phone = newPhone();
    const local = `0${phone.slice(2)}`; // as an Indonesian user types it: 0812…
    const contact = newPhone();

    const store = await api('PUT', '/api/client/store', { admin: true, body: { phone: local, user_id: 42, api_token: 'laravel-token-for-webhooks' } });
    expect(store).toMatchObject({ status: 200, json: { message: 'Session stored successfully' } });
    const created = await api('POST', '/api/create-session', { admin: true, body: { phone: local } });
    expect(created).toMatchObject({ status: 200, json: { message: `Client for ${local} is being initialized...` } });
    const [session] = await rows(stack, 'SELECT id, phone, user_id, webhook_token, desired_state FROM sessions WHERE id = ?', [phone]);
    expect(session).toEqual({ id: phone, phone, user_id: '42', webhook_token: 'laravel-token-for-webhooks', desired_state: 'running' });

    await scanApiQr(system, () => webhookQr(phone), phone);
    await eventually(async () => {
      const [row] = await rows(stack, 'SELECT status, connector_id FROM sessions WHERE id = ?', [phone]);
      expect(row).toEqual({ status: 'WORKING', connector_id: connector.connectorId });
    });

    const stored = simulator.events.waitFor('message-stored', (m) => m.to === contact);
    // Form-encoded, as PHP clients often send it, naming the session by the number as the user typed it.
    const sent = await api('POST', '/api/send-message', {
      admin: true,
      body: new URLSearchParams({ sessionId: local, number: contact, message: 'Tagihan Anda sudah terbit' }).toString(),
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(sent).toMatchObject({ status: 200, json: { message: 'Pesan berhasil dikirim!', sessionId: local, number: contact } });
    expect(await stored).toMatchObject({ from: phone, text: 'Tagihan Anda sudah terbit' });

    const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === phone, 15_000);
    const mark = connector.logs().length;
    const deleted = await api('POST', '/api/delete', { admin: true, body: { phone: local } });
    expect(deleted).toMatchObject({ status: 200, json: { message: `Session ${local} deleted successfully.` } });
    await unlinked;
    await connector.waitForLog((l) => l.msg === 'session dropped' && l.sessionId === phone, { from: mark, what: "'session dropped'" });
    expect(() => simulator.unlink(phone)).toThrow(/no linked device/);
    expect(await rows(stack, 'SELECT id FROM sessions WHERE id = ?', [phone])).toEqual([]);
    expect(await rows(stack, 'SELECT id FROM messages WHERE session_id = ?', [phone])).toEqual([]);

    const again = await api('POST', '/api/send-message', { admin: true, body: { sessionId: phone, number: contact, message: 'masih ada?' } });
    expect(again).toMatchObject({ status: 404, json: { error: `Session ${phone} tidak ditemukan atau belum login.` } });
    expect(await api('POST', '/api/delete', { admin: true, body: { phone } })).toMatchObject({ status: 404, json: { error: `Sesi ${phone} tidak ditemukan!` } });
  });

  it('shows a new QR on create-session after the phone logged the device out, and pairs again', async () => {
    const { api, simulator, stack } = system;
    const phone = newPhone();
    await api('PUT', '/api/client/store', { admin: true, body: { phone, user_id: 7, api_token: 'laravel-token-for-webhooks' } });
    expect((await api('POST', '/api/create-session', { admin: true, body: { phone } })).status).toBe(200);
    await scanApiQr(system, () => webhookQr(phone), phone);
    const statusIs = (expected: string) =>
      eventually(async () => expect((await rows(stack, 'SELECT status FROM sessions WHERE id = ?', [phone]))[0]?.status).toBe(expected));
    await statusIs('WORKING');
    // The phone removes the linked device: WhatsApp logs it out (401) while the session is still wanted running.
    expect(simulator.unlink(phone)).toEqual({ devices: 1 });
    await statusIs('LOGGED_OUT');
    const earlier = new Set(receiver.received);
    expect((await api('POST', '/api/create-session', { admin: true, body: { phone } })).status).toBe(200);
    await scanApiQr(system, () => webhookQr(phone, { after: earlier }), phone);
    await statusIs('WORKING');
    expect((await api('POST', '/api/delete', { admin: true, body: { phone } })).status).toBe(200);
  });

  it('answers send-message for a session that is not logged in yet with the original text', async () => {
    const { api } = system;
    const phone = newPhone();
    expect((await api('POST', '/api/create-session', { admin: true, body: { phone } })).status).toBe(200);
    const sent = await api('POST', '/api/send-message', { admin: true, body: { sessionId: phone, number: newPhone(), message: 'terlalu cepat' } });
    expect(sent).toMatchObject({ status: 409, json: { error: `Session ${phone} tidak ditemukan atau belum login.` } });
    expect((await api('POST', '/api/delete', { admin: true, body: { phone } })).status).toBe(200);
  });
});
