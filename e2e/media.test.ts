// Media through the whole system: the Worker in workerd with its local R2, the real connector process with
// real Baileys, and the WhatsApp simulator's media host. Files sent through the API arrive byte-exact in the
// contact's inbox; files a contact sends are stored by the Worker and announced on the webhook; a connector
// killed mid-download still delivers the message, once.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver } from '../testing/webhook-receiver.ts';
import { connectorUp, newPhone, outboxIds, scanApiQr, startSystem, statusBecomes, within, type System } from './harness.ts';
import { eventually } from '../testing/eventually.ts';

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

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const MiB = 1024 * 1024;
const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);

/** Ids of the sessions WORKING (since `since`, when given), in id order. */
async function loggedIn(since = 0): Promise<string[]> {
  const { status, json } = await system.api('GET', '/api/sessions?status=WORKING&limit=100', { admin: true });
  expect(status).toBe(200);
  return (json.sessions as { id: string; since: number | null }[]).filter((s) => (s.since ?? 0) >= since).map((s) => s.id);
}

/** A session with a webhook, paired with `phone`; `hook` waits for one of its deliveries. */
async function sessionWithWebhook(phone: string) {
  const { api } = system;
  const created = await api('POST', '/api/session/create', { admin: true, body: { webhookUrl: `${receiver.url}/media` } });
  expect(created.status).toBe(201);
  const { sessionId, apiKey } = created.json as { sessionId: string; apiKey: string };
  const deliveries = (match: (envelope: any) => boolean) =>
    receiver.received.filter((h) => {
      const envelope = JSON.parse(h.body);
      return envelope.sessionId === sessionId && match(envelope);
    });
  const hook = async (match: (envelope: any) => boolean, what: string) =>
    JSON.parse(
      (
        await within(
          receiver.next((h) => {
            const envelope = JSON.parse(h.body);
            return envelope.sessionId === sessionId && match(envelope);
          }),
          30_000,
          `webhook ${what}`,
        )
      ).body,
    );
  const qr = await hook((e) => e.event === 'qr', 'qr');
  await scanApiQr(system, async () => qr.data.qr, phone);
  await statusBecomes(api, apiKey, 'WORKING', true);
  return { sessionId, apiKey, hook, deliveries };
}

describe('media end to end', () => {
  it("sends an image and a document through POST /api/messages that arrive byte-exact in the contact's inbox", async () => {
    const { api, simulator } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { apiKey } = await sessionWithWebhook(phone);
    const image = await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 250, g: 120, b: 0 } } }).jpeg().toBuffer();
    const document = pdf(120_000);

    const imageStored = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.type === 'image', 30_000);
    const sentImage = await api('POST', '/api/messages', { key: apiKey, body: { to: contact, type: 'image', image: { data: image.toString('base64'), caption: 'senja' } } });
    expect(sentImage.status, JSON.stringify(sentImage.json)).toBe(200);
    expect(sentImage.json.result).toMatchObject({ key: { remoteJid: `${contact}@s.whatsapp.net`, fromMe: true }, type: 'image' });
    expect((await imageStored).media).toMatchObject({ caption: 'senja', size: image.length, sha256: sha256(image) });

    const uploaded = await fetch(`${system.stack.url}/api/media`, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/pdf' }, body: document });
    expect(uploaded.status).toBe(201);
    const { mediaId } = (await uploaded.json()) as { mediaId: string };
    const documentStored = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.type === 'document', 30_000);
    const sentDocument = await api('POST', '/api/messages', { key: apiKey, body: { to: contact, type: 'document', document: { mediaId, filename: 'Laporan Mei.pdf', caption: 'laporan' } } });
    expect(sentDocument.status, JSON.stringify(sentDocument.json)).toBe(200);
    expect((await documentStored).media).toMatchObject({ filename: 'Laporan Mei.pdf', caption: 'laporan', mimetype: 'application/pdf', size: document.length, sha256: sha256(document) });
  });

  it('stores media a contact sends in the Worker and names it on the webhook; the bytes read back the same with the session key only', async () => {
    const { api, simulator } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { apiKey, hook } = await sessionWithWebhook(phone);
    const data = pdf(200_000);
    const { id } = await simulator.contactSendMedia(contact, phone, { type: 'document', data, mimetype: 'application/pdf', filename: 'kontrak.pdf', caption: 'ditandatangani' });
    const received = await hook((e) => e.event === 'message.received' && e.data.messageId === id, 'message.received with media');
    expect(received.data).toMatchObject({
      from: contact,
      type: 'document',
      text: 'ditandatangani',
      media: { id: expect.any(String), mimetype: 'application/pdf', size: data.length, sha256: sha256(data), filename: 'kontrak.pdf', caption: 'ditandatangani' },
    });
    const read = await fetch(`${system.stack.url}/api/media/${received.data.media.id}`, { headers: { 'x-api-key': apiKey } });
    expect(read.status).toBe(200);
    expect(sha256(Buffer.from(await read.arrayBuffer()))).toBe(sha256(data));
    const other = await api('POST', '/api/session/create', { admin: true, body: {} });
    const foreign = await fetch(`${system.stack.url}/api/media/${received.data.media.id}`, { headers: { 'x-api-key': other.json.apiKey } });
    expect(foreign.status).toBe(404);
  });

  it('delivers the message once when the connector is killed in the middle of downloading its media', async () => {
    const { simulator, connector } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { apiKey, hook, deliveries } = await sessionWithWebhook(phone);
    const data = pdf(8 * 1024 * 1024);
    let id = '';
    const killed = new Promise<void>((resolve, reject) => {
      const stop = simulator.events.on('media-fetched', () => {
        stop();
        connector.kill('SIGKILL').then(() => resolve(), reject);
      });
    });
    ({ id } = await simulator.contactSendMedia(contact, phone, { type: 'document', data, mimetype: 'application/pdf', filename: 'besar.pdf' }));
    await within(killed, 30_000, 'the connector killed mid-download');
    expect(deliveries((e) => e.event === 'message.received' && e.data.messageId === id)).toEqual([]);
    await connectorUp(system);
    const received = await hook((e) => e.event === 'message.received' && e.data.messageId === id, 'message.received after the restart');
    expect(received.data.media).toMatchObject({ size: data.length, sha256: sha256(data), filename: 'besar.pdf' });
    const read = await fetch(`${system.stack.url}/api/media/${received.data.media.id}`, { headers: { 'x-api-key': apiKey } });
    expect(sha256(Buffer.from(await read.arrayBuffer()))).toBe(sha256(data));
    // Once everything the connector holds is acked, there is still exactly one delivery of the message.
    await eventually(async () => expect(await outboxIds(connector)).toEqual([]), { timeoutMs: 15_000 });
    await statusBecomes(system.api, apiKey, 'WORKING', true);
    expect(deliveries((e) => e.event === 'message.received' && e.data.messageId === id)).toHaveLength(1);
  }, 120_000);

  it("sends a 100 MiB document byte-exact while the connector's resident memory rises by less than 20 MiB", async () => {
    const { api, simulator, connector } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { apiKey } = await sessionWithWebhook(phone);
    // Exactly 100 MiB: its encrypted upload is over the 100 MiB media_conn announces, as WhatsApp allows.
    const document = pdf(100 * MiB);
    // node:http, not fetch: workerd's local server broke fetch's 100 MiB request off with EPIPE here.
    const uploaded = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${system.stack.url}/api/media`, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/pdf', 'content-length': document.length } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(document);
    });
    expect(uploaded.status, uploaded.body).toBe(201);
    const { mediaId } = JSON.parse(uploaded.body) as { mediaId: string };
    // A fresh process: one that already moved a large file keeps the pages it grew, and would hide a rise.
    // It logs in again every session the file paired, not only this one; the baseline waits for all of them,
    // or a login still growing the process would count as the send's rise.
    const paired = await loggedIn();
    const restarted = Date.now();
    await connector.kill();
    await connectorUp(system);
    await statusBecomes(api, apiKey, 'WORKING', true, 30_000);
    await eventually(async () => expect(await loggedIn(restarted)).toEqual(paired), { timeoutMs: 30_000 });
    const status = `/proc/${connector.pid}/status`;
    const kb = async (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(await readFile(status, 'utf8'))?.[1]) * 1024;
    const before = await kb('VmRSS');
    // "5" resets the peak resident size (VmHWM) to the current one (proc(5), clear_refs).
    await writeFile(`/proc/${connector.pid}/clear_refs`, '5');
    const stored = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.type === 'document', 300_000);
    const sent = await api('POST', '/api/messages', { key: apiKey, body: { to: contact, type: 'document', document: { mediaId, filename: 'besar.pdf' } } });
    expect(sent.status, JSON.stringify(sent.json)).toBe(200);
    expect((await stored).media).toMatchObject({ size: document.length, sha256: sha256(document), filename: 'besar.pdf' });
    const rise = (await kb('VmHWM')) - before;
    // Issue 13's target is 32 MiB over a settled (collected) RSS. Measured from the RSS at the reset, garbage
    // already there hides part of a rise, so the bound is tighter: with dead chunks left to V8's own pace
    // this measured 29 MiB (the bench, from a settled RSS: 45-62); with a scavenge per MiB moved, 3.
    expect(rise).toBeLessThan(20 * MiB);
  }, 600_000);
});
