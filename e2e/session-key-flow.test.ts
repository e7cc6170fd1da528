// The session-key surface end to end: the Worker in workerd, the connector process, real Baileys and the
// WhatsApp simulator. Each test pairs its own session with its own phone number.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import { startWebhookReceiver } from '../testing/webhook-receiver.ts';
import { loginResetApplied, newPhone, pairedSession, rawQr, rows, scanApiQr, startSystem, status, statusBecomes, within, type System } from './harness.ts';

let system: System;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // The receiver is on loopback, which only a local deployment may call.
  system = await startSystem({ vars: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
});
afterAll(async () => {
  await system?.close();
  await receiver?.close();
});

describe('a session on the session-key surface', () => {
  it('shows a raw QR over the API and, once the phone scans it, is WORKING as that phone', async () => {
    const { api, simulator, stack, connector } = system;
    const phone = newPhone();
    const created = await api('POST', '/api/session/create', { admin: true, body: {} });
    expect(created.status).toBe(201);
    const { sessionId, apiKey } = created.json;
    expect(await status(api, apiKey)).toMatchObject({ connected: false });

    const qr = await rawQr(api, apiKey);
    expect(await status(api, apiKey)).toMatchObject({ connected: false, status: 'SCAN_QR_CODE' });
    const image = await api('GET', '/api/session/qr', { key: apiKey });
    expect(image.json).toMatchObject({ connected: false, status: 'SCAN_QR_CODE', qr: expect.stringMatching(/^data:image\/png;base64,/) });

    await scanApiQr(system, async () => qr, phone);
    const working = await statusBecomes(api, apiKey, 'WORKING', true);
    expect(working.user?.id).toBe(phone);
    const [session] = await rows(stack, 'SELECT status, phone, me_jid, connector_id FROM sessions WHERE id = ?', [sessionId]);
    expect(session).toMatchObject({ status: 'WORKING', phone, connector_id: connector.connectorId });
    expect(String(session!.me_jid)).toBe(phone);
    // Once connected, the QR endpoint answers with the user instead of a code.
    const qrAnswer = await api('GET', '/api/session/qr?format=raw', { key: apiKey });
    expect(qrAnswer.json).toMatchObject({ connected: true, status: 'WORKING', user: { id: phone } });
    expect(simulator.inbox(phone)).toEqual([]);
  });

  it('sends a text the contact receives decrypted, under the message id the API answered', async () => {
    const { api, simulator, stack } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { sessionId, apiKey } = await pairedSession(system, phone);

    const stored = simulator.events.waitFor('message-stored', (m) => m.to === contact);
    const sent = await api('POST', '/api/send', { key: apiKey, body: { to: contact, message: 'halo dari kabar' } });
    expect(sent.status).toBe(200);
    expect(sent.json.result.key).toMatchObject({ remoteJid: `${contact}@s.whatsapp.net`, fromMe: true });
    const received = await stored;
    expect(received).toMatchObject({ id: sent.json.result.key.id, from: phone, text: 'halo dari kabar' });
    expect(simulator.inbox(contact)).toEqual([expect.objectContaining({ id: sent.json.result.key.id, from: phone, text: 'halo dari kabar' })]);

    // Recorded from the connector's message.sent event, which it stored before answering.
    const row = await eventually(async () => {
      const found = await rows(stack, "SELECT text, remote_phone, status FROM messages WHERE session_id = ? AND direction = 'out' AND provider_message_id = ?", [
        sessionId,
        sent.json.result.key.id,
      ]);
      expect(found).toHaveLength(1);
      return found[0]!;
    });
    expect(row).toMatchObject({ text: 'halo dari kabar', remote_phone: contact });
    expect(['sent', 'delivered', 'read']).toContain(row!.status);
  });

  it("stores a contact's message in Turso as incoming, from the contact's phone", async () => {
    const { simulator, stack } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { sessionId } = await pairedSession(system, phone);

    const receipt = simulator.events.waitFor('receipt-received', (r) => r.from === phone && r.to === contact);
    const { id } = await simulator.contactSend(contact, phone, 'apa kabar?');
    expect((await receipt).id).toBe(id);
    const stored = await eventually(async () => {
      const found = await rows(stack, 'SELECT * FROM messages WHERE session_id = ? AND provider_message_id = ?', [sessionId, id]);
      expect(found).toHaveLength(1);
      return found[0]!;
    });
    expect(stored).toMatchObject({ direction: 'in', remote_phone: contact, remote_jid: `${contact}@s.whatsapp.net`, text: 'apa kabar?', status: 'received' });
    const events = await rows(stack, "SELECT payload FROM events WHERE session_id = ? AND name = 'message.received'", [sessionId]);
    expect(events.map((e) => JSON.parse(String(e.payload)))).toEqual([expect.objectContaining({ messageId: id, from: contact, text: 'apa kabar?' })]);
  });

  it("moves a sent message's status to delivered, then read, as the contact's receipts arrive", async () => {
    const { api, simulator, stack } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { sessionId, apiKey } = await pairedSession(system, phone);
    const stored = simulator.events.waitFor('message-stored', (m) => m.to === contact);
    const sent = await api('POST', '/api/send', { key: apiKey, body: { to: contact, message: 'sudah dibaca?' } });
    expect(sent.status).toBe(200);
    const { id } = await stored;
    const statusOf = async () => {
      const found = await rows(stack, "SELECT status, text FROM messages WHERE session_id = ? AND direction = 'out' AND provider_message_id = ?", [sessionId, id]);
      expect(found).toHaveLength(1);
      return found[0]!;
    };

    simulator.receipt(id, 'delivered');
    await eventually(async () => expect(await statusOf()).toEqual({ status: 'delivered', text: 'sudah dibaca?' }));
    simulator.receipt(id, 'read');
    await eventually(async () => expect(await statusOf()).toEqual({ status: 'read', text: 'sudah dibaca?' }));
    const statuses = await rows(stack, "SELECT payload FROM events WHERE session_id = ? AND name = 'message.status'", [sessionId]);
    expect(statuses.map((e) => JSON.parse(String(e.payload)).status)).toEqual(expect.arrayContaining(['delivered', 'read']));
  });

  it('logs out: the phone no longer has the device linked, the login is forgotten and sends are refused', async () => {
    const { api, simulator, stack } = system;
    const phone = newPhone();
    const { sessionId, apiKey } = await pairedSession(system, phone);

    const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === phone, 15_000);
    const answer = await api('POST', '/api/session/logout', { key: apiKey });
    expect(answer.status).toBe(200);
    await unlinked;
    expect(() => simulator.unlink(phone)).toThrow(/no linked device/);
    await loginResetApplied(system, sessionId, 1);
    const after = await status(api, apiKey);
    expect(after).toMatchObject({ connected: false });
    expect(after.user).toBeUndefined();
    const [session] = await rows(stack, 'SELECT desired_state, auth_epoch, me_jid FROM sessions WHERE id = ?', [sessionId]);
    expect(session).toMatchObject({ desired_state: 'stopped', auth_epoch: 1, me_jid: null });
    const send = await api('POST', '/api/send', { key: apiKey, body: { to: newPhone(), message: 'masih bisa?' } });
    expect(send.status).toBe(409);
  });

  it('stays LOGGED_OUT after logout once the connector has applied it', async () => {
    const { api } = system;
    const { sessionId, apiKey } = await pairedSession(system, newPhone());
    expect((await api('POST', '/api/session/logout', { key: apiKey })).status).toBe(200);
    await loginResetApplied(system, sessionId, 1);
    expect(await status(api, apiKey)).toMatchObject({ connected: false, status: 'LOGGED_OUT' });
  });

  it('shows a new QR on start after the phone logged the device out, and pairs again', async () => {
    const { api, simulator, stack } = system;
    const phone = newPhone();
    const { sessionId, apiKey } = await pairedSession(system, phone);
    // The phone removes the linked device: WhatsApp logs it out (401) while the session is still wanted running.
    expect(simulator.unlink(phone)).toEqual({ devices: 1 });
    await statusBecomes(api, apiKey, 'LOGGED_OUT');
    const start = await api('POST', '/api/session/start', { key: apiKey });
    expect(start.status).toBe(200);
    const qr = await rawQr(api, apiKey);
    await scanApiQr(system, async () => qr, phone);
    expect((await statusBecomes(api, apiKey, 'WORKING', true)).user?.id).toBe(phone);
    const [session] = await rows(stack, 'SELECT desired_state, auth_epoch FROM sessions WHERE id = ?', [sessionId]);
    expect(session).toMatchObject({ desired_state: 'running', auth_epoch: 1 });
  });

  it("posts each of the session's events to its webhook, signed over the timestamp and body, with Content-Length", async () => {
    const { api, simulator } = system;
    const phone = newPhone();
    const contact = newPhone();
    const secret = 'e2e-webhook-secret-0123456789';
    const created = await api('POST', '/api/session/create', { admin: true, body: { webhookUrl: `${receiver.url}/kabar`, webhookSecret: secret } });
    expect(created.status).toBe(201);
    const { sessionId, apiKey } = created.json;
    const hook = (match: (envelope: any) => boolean, what: string) =>
      within(
        receiver.next((h) => {
          const envelope = JSON.parse(h.body);
          return envelope.sessionId === sessionId && match(envelope);
        }),
        15_000,
        `webhook ${what}`,
      );

    const qr = await hook((e) => e.event === 'qr', 'qr');
    await scanApiQr(system, async () => JSON.parse(qr.body).data.qr, phone);
    const working = await hook((e) => e.event === 'connection.update' && e.data.status === 'WORKING', 'connection.update WORKING');
    expect(JSON.parse(working.body).data.user).toMatchObject({ id: phone });
    const { id } = await simulator.contactSend(contact, phone, 'lewat webhook');
    const received = await hook((e) => e.event === 'message.received' && e.data.messageId === id, 'message.received');
    const stored = simulator.events.waitFor('message-stored', (m) => m.to === contact);
    expect((await api('POST', '/api/send', { key: apiKey, body: { to: contact, message: 'dibalas' } })).status).toBe(200);
    simulator.receipt((await stored).id, 'read');
    const read = await hook((e) => e.event === 'message.status' && e.data.status === 'read', 'message.status read');

    const envelope = JSON.parse(received.body);
    expect(envelope).toEqual({
      id: expect.any(String),
      event: 'message.received',
      sessionId,
      timestamp: expect.any(Number),
      data: expect.objectContaining({ messageId: id, from: contact, text: 'lewat webhook' }),
    });
    for (const delivery of [qr, working, received, read]) {
      expect(delivery.path).toBe('/kabar');
      expect(delivery.headers['content-length']).toBe(String(Buffer.byteLength(delivery.body)));
      expect(delivery.headers['transfer-encoding']).toBeUndefined();
      const timestamp = String(delivery.headers['x-kabar-timestamp']);
      expect(delivery.headers['x-kabar-signature']).toBe(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${delivery.body}`).digest('hex')}`);
      expect(delivery.headers['x-kabar-event-id']).toBe(JSON.parse(delivery.body).id);
    }
  });
});
