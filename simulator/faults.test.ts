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
