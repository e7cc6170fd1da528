import { DisconnectReason } from '@whiskeysockets/baileys';
import { expect, test } from 'vitest';
import { useSimulator } from './test-fixture.ts';
import { NotConnected } from './errors.ts';
import type { Simulator } from './server.ts';
import { connectClient, linkClient } from './test-client.ts';
import type { TestClient } from './test-client.ts';

let simulator: Simulator;
const track = useSimulator((started) => (simulator = started));

test('the phone unlinking the device logs Baileys out (401) and its creds can no longer log in', async () => {
  const client = await linkClient(simulator, '6283300000001', track);
  expect(simulator.unlink('6283300000001')).toEqual({ devices: 1 });
  expect((await client.closed()).statusCode).toBe(DisconnectReason.loggedOut);

  const again = connectClient(simulator.wsUrl, { state: client.state });
  track(again);
  expect((await again.closed()).statusCode).toBe(DisconnectReason.loggedOut);
});

test('a dropped connection closes without logout, and the same creds reconnect without a new QR', async () => {
  const client = await linkClient(simulator, '6283300000002', track);
  expect(simulator.drop('6283300000002')).toEqual({ connections: 1 });
  const { statusCode } = await client.closed();
  expect(statusCode).toBe(DisconnectReason.connectionClosed);

  const again = connectClient(simulator.wsUrl, { state: client.state });
  track(again);
  const update = await again.connection((u) => u.connection === 'open' || !!u.qr || u.connection === 'close');
  expect(update.connection).toBe('open');
  // The resumed session still works end to end.
  const stored = simulator.events.waitFor('message-stored', (message) => message.from === '6283300000002');
  await again.sock.sendMessage('6289900000012@s.whatsapp.net', { text: 'back online' });
  expect((await stored).text).toBe('back online');
});

test('the simulator replacing the connection closes it with 440 (connection replaced)', async () => {
  const client = await linkClient(simulator, '6283300000003', track);
  simulator.replace('6283300000003');
  expect((await client.closed()).statusCode).toBe(DisconnectReason.connectionReplaced);
});

test('a second login as the same device replaces the first connection', async () => {
  const client = await linkClient(simulator, '6283300000004', track);
  const second = connectClient(simulator.wsUrl, { state: client.state });
  track(second);
  expect((await client.closed()).statusCode).toBe(DisconnectReason.connectionReplaced);
  await second.connection((u) => u.connection === 'open');
});

test('Baileys logging itself out makes the simulator forget the device', async () => {
  const client = await linkClient(simulator, '6283300000005', track);
  const unlinked = simulator.events.waitFor('device-unlinked', (event) => event.phone === '6283300000005');
  await client.sock.logout();
  await unlinked;
  await expect(simulator.contactSend('6289900000015', '6283300000005', 'anyone?')).rejects.toThrow(/no linked device/);
});

test('a stalled connection answers no ping, so Baileys ends it as lost (408); what was sent meanwhile arrives once after the reconnect', async () => {
  const phone = '6283300000006';
  // Baileys gives up when no frame came for its interval plus 5 s.
  const client = await linkClient(simulator, phone, track, { keepAliveIntervalMs: 1_000 });
  const texts: string[] = [];
  const ids: string[] = [];
  expect(simulator.stall(phone)).toEqual({ connections: 1 });
  client.sock.ev.on('messages.upsert', ({ messages }) => texts.push(...messages.map((m) => m.message?.conversation ?? '')));
  for (const text of ['satu', 'dua']) ids.push((await simulator.contactSend('6289900000016', phone, text)).id);
  const requeued = simulator.events.waitFor('messages-requeued', (r) => r.phone === phone, 20_000);
  expect((await client.closed()).statusCode).toBe(DisconnectReason.connectionLost);
  expect((await requeued).ids.sort()).toEqual([...ids].sort());
  // Nothing written to the stalled socket reached Baileys.
  expect(texts).toEqual([]);

  const again = connectClient(simulator.wsUrl, { state: client.state });
  track(again);
  const received: string[] = [];
  again.sock.ev.on('messages.upsert', ({ messages }) => received.push(...messages.map((m) => m.message?.conversation ?? '')));
  const receipted = Promise.all(ids.map((id) => simulator.events.waitFor('receipt-received', (r) => r.id === id, 15_000)));
  await again.connection((u) => u.connection === 'open');
  await receipted;
  expect(received.sort()).toEqual(['dua', 'satu']);
});

test('stalling a phone with no connected device is refused', () => {
  expect(() => simulator.stall('6283300000099')).toThrow(NotConnected);
});

test('dropping a phone with no connected device is refused', () => {
  expect(() => simulator.drop('6283300000099')).toThrow(NotConnected);
});

test.each([
  ['500', DisconnectReason.badSession],
  ['503', DisconnectReason.unavailableService],
  ['515', DisconnectReason.restartRequired],
  ['end', DisconnectReason.connectionClosed],
] as const)('a mid-session stream error %s closes Baileys with %i and the same creds log in again', async (kind, statusCode) => {
  const phone = `62833000001${kind === 'end' ? '00' : kind.slice(0, 2)}`;
  const client = await linkClient(simulator, phone, track);
  expect(simulator.streamError(phone, kind)).toEqual({ connections: 1 });
  expect((await client.closed()).statusCode).toBe(statusCode);

  const again = connectClient(simulator.wsUrl, { state: client.state });
  track(again);
  expect((await again.connection((u) => u.connection === 'open' || u.connection === 'close')).connection).toBe('open');
});

test.each([
  ['at once', 0],
  ['late', 400],
])('a refused send gets an error ack %s, which Baileys reports as an ERROR status with the code', async (_name, delayMs) => {
  const phone = `6283300000${delayMs === 0 ? '201' : '202'}`;
  const contact = `6289900000${delayMs === 0 ? '201' : '202'}`;
  const client = await linkClient(simulator, phone, track);
  simulator.refuseSends(phone, contact, { code: 463, delayMs });
  const failed = new Promise<string[] | null | undefined>((resolve) => {
    const check = (m: { key: { fromMe?: boolean | null }; status?: number | null; messageStubParameters?: string[] | null }) =>
      m.key.fromMe && m.status === 0 && resolve(m.messageStubParameters);
    client.sock.ev.on('messages.upsert', ({ messages }) => messages.forEach(check));
    client.sock.ev.on('messages.update', (updates) => updates.forEach((u) => check({ key: u.key, ...u.update })));
  });
  await client.sock.sendMessage(`${contact}@s.whatsapp.net`, { text: 'refused' });
  // Baileys puts the code first (for 463 a text follows: 463 is also its 'reachout timelocked' nack).
  expect((await failed)?.[0]).toBe('463');
  expect(simulator.inbox(contact)).toEqual([]);

  simulator.refuseSends(phone, contact);
  const stored = simulator.events.waitFor('message-stored', (m) => m.from === phone);
  await client.sock.sendMessage(`${contact}@s.whatsapp.net`, { text: 'allowed again' });
  expect((await stored).text).toBe('allowed again');
});

test('a client older than the required version is refused with 405, at login and at registration', async () => {
  const client = await linkClient(simulator, '6283300000301', track);
  client.sock.end(undefined);
  simulator.requireClientVersion([2, 3000, 2_000_000_000]);
  try {
    const refused = simulator.events.waitFor('client-too-old', (e) => e.minimum === '2.3000.2000000000');
    const again = connectClient(simulator.wsUrl, { state: client.state });
    track(again);
    expect((await again.closed()).statusCode).toBe(405);
    expect((await refused).version).toBe('2.3000.1043857760');

    const fresh = connectClient(simulator.wsUrl);
    track(fresh);
    expect((await fresh.closed()).statusCode).toBe(405);
  } finally {
    simulator.requireClientVersion(undefined);
  }
});
