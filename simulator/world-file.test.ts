import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadMediaMessage } from '@whiskeysockets/baileys';
import { Agent as UndiciAgent } from 'undici';
import { afterAll, afterEach, expect, test } from 'vitest';
import { MEDIA_TEST_CA } from './media-tls.ts';
import { startSimulator, type Simulator } from './server.ts';
import { quietSignalLogs } from './signal-logs.ts';
import { connectClient, linkClient, type TestClient } from './test-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'kabar-simulator-state-'));
const clients: TestClient[] = [];
const simulators: Simulator[] = [];
const loud = quietSignalLogs();
const track = (client: TestClient) => clients.push(client);
afterEach(async () => {
  for (const client of clients.splice(0)) client.end();
  for (const simulator of simulators.splice(0)) await simulator.close();
});
afterAll(() => {
  loud();
  rmSync(dir, { recursive: true, force: true });
});

async function start(statePath: string): Promise<Simulator> {
  const simulator = await startSimulator({ statePath });
  simulators.push(simulator);
  return simulator;
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function texts(client: TestClient): string[] {
  const seen: string[] = [];
  client.sock.ev.on('messages.upsert', ({ messages }) => seen.push(...messages.map((m) => m.message?.conversation ?? '')));
  return seen;
}

test('a device linked before a restart on the same state file logs in again without a QR, gets what was queued for it and keeps messaging', async () => {
  const statePath = join(dir, 'nested', 'simulator.json');
  const phone = '6283400000001';
  const contact = '6289900000031';
  const first = await start(statePath);
  const client = await linkClient(first, phone, track);
  // A first message opens the contact's Signal session, which must survive the restart too.
  const before = texts(client);
  const receipted = first.events.waitFor('receipt-received', (r) => r.from === phone);
  await first.contactSend(contact, phone, 'sebelum');
  await receipted;
  expect(before).toEqual(['sebelum']);
  const stored = first.events.waitFor('message-stored', (m) => m.from === phone);
  await client.sock.sendMessage(`${contact}@s.whatsapp.net`, { text: 'balasan' });
  await stored;
  const disconnected = first.events.waitFor('device-disconnected', (d) => d.phone === phone);
  client.end();
  await disconnected;
  // Queued while the device is offline: WhatsApp keeps it for the next login, across the restart.
  await first.contactSend(contact, phone, 'selagi mati');
  await first.close();
  simulators.splice(0);

  const second = await start(statePath);
  const again = connectClient(second.wsUrl, { state: client.state });
  track(again);
  const after = texts(again);
  const settled = second.events.waitFor('receipt-received', (r) => r.from === phone, 15_000);
  const update = await again.connection((u) => u.connection === 'open' || !!u.qr || u.connection === 'close');
  expect(update.connection).toBe('open');
  await settled;
  expect(after).toEqual(['selagi mati']);
  const next = second.events.waitFor('receipt-received', (r) => r.from === phone, 15_000);
  await second.contactSend(contact, phone, 'sesudah');
  await next;
  expect(after).toEqual(['selagi mati', 'sesudah']);
  const reply = second.events.waitFor('message-stored', (m) => m.from === phone);
  await again.sock.sendMessage(`${contact}@s.whatsapp.net`, { text: 'masih di sini' });
  expect((await reply).text).toBe('masih di sini');
  expect(second.inbox(contact).map((m) => m.text)).toEqual(['balasan', 'masih di sini']);
});

test('a message written to a connection that never receipted it before the restart is delivered once after it', async () => {
  const statePath = join(dir, 'unreceipted.json');
  const phone = '6283400000002';
  const first = await start(statePath);
  const client = await linkClient(first, phone, track);
  // Stalled: the message is taken as written to the device's connection, and never receipted.
  first.stall(phone);
  const { id } = await first.contactSend('6289900000032', phone, 'tertulis');
  await first.close();
  simulators.splice(0);
  client.end();

  const second = await start(statePath);
  const again = connectClient(second.wsUrl, { state: client.state });
  track(again);
  const after = texts(again);
  const receipted = second.events.waitFor('receipt-received', (r) => r.id === id, 15_000);
  await again.connection((u) => u.connection === 'open');
  await receipted;
  const next = second.events.waitFor('receipt-received', (r) => r.from === phone && r.id !== id, 15_000);
  await second.contactSend('6289900000032', phone, 'berikutnya');
  await next;
  expect(after).toEqual(['tertulis', 'berikutnya']);
});

test('a state file that is not JSON stops the start and is left as it was', async () => {
  const statePath = join(dir, 'broken.json');
  writeFileSync(statePath, '{not json');
  await expect(startSimulator({ statePath })).rejects.toThrow(/broken\.json is not valid JSON/);
  expect(readFileSync(statePath, 'utf8')).toBe('{not json');
});

test("a contact's media outlives a restart on the same state file: still downloadable, and re-uploaded when expired", async () => {
  const statePath = join(dir, 'media', 'simulator.json');
  const phone = '6282200000031';
  const bytes = randomBytes(30_000);
  const first = await start(statePath);
  const client = await linkClient(first, phone, track);
  const arrived = client.next('messages.upsert', ({ messages }) => messages.some((m) => !m.key.fromMe));
  const { id } = await first.contactSendMedia('6289900000031', phone, { type: 'image', data: bytes, caption: 'sebelum restart' });
  const message = (await arrived).messages.find((m) => m.key.id === id)!;
  client.end();
  await first.close();
  simulators.splice(0);

  const second = await start(statePath);
  const download = () =>
    downloadMediaMessage(message, 'buffer', {
      host: new URL(second.mediaUrl).host,
      options: { dispatcher: new UndiciAgent({ connect: { ca: MEDIA_TEST_CA } }) } as RequestInit,
    });
  expect(sha(await download())).toBe(sha(bytes));
  await second.expireMedia({ messageId: id });
  const again = connectClient(second.wsUrl, { state: client.state });
  track(again);
  await again.connection((update) => update.connection === 'open');
  await again.sock.updateMediaMessage(message);
  expect(sha(await download())).toBe(sha(bytes));
});
