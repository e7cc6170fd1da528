// An offline backlog delivered in pages to real Baileys: previewed, sent 100 at a time as Baileys asks,
// then closed with the offline count; every message upserted once.
import { expect, test } from 'vitest';
import type { BinaryNode } from '@whiskeysockets/baileys';
import { eventually } from '../testing/eventually.ts';
import { useSimulator } from './test-fixture.ts';
import type { Simulator } from './server.ts';
import { connectClient, linkClient } from './test-client.ts';

let simulator: Simulator;
const track = useSimulator((started) => (simulator = started));

test('a backlog of 250 comes as a preview and pages of 100 that Baileys asks for, then the offline count', async () => {
  const phone = '6282200000301';
  const client = await linkClient(simulator, phone, track);
  const disconnected = simulator.events.waitFor('device-disconnected', (event) => event.phone === phone);
  client.end();
  await disconnected;
  const ids: string[] = [];
  for (let i = 0; i < 250; i++) ids.push((await simulator.contactSend('6289900000301', phone, `missed ${i}`)).id);

  const requests: number[] = [];
  const off = simulator.events.on('offline-batch-requested', (r) => r.phone === phone && requests.push(r.count));
  const again = connectClient(simulator.wsUrl, { state: client.state });
  track(again);
  const previews: string[] = [];
  again.sock.ws.on('CB:ib,,offline_preview', (node: BinaryNode) => {
    const child = Array.isArray(node.content) ? node.content[0] : undefined;
    previews.push(String(child?.attrs.count));
  });
  const upserted: string[] = [];
  again.sock.ev.on('messages.upsert', ({ messages }) => {
    for (const m of messages) if (!m.key.fromMe && m.key.id) upserted.push(m.key.id);
  });
  const offline = await new Promise<BinaryNode>((resolve) => again.sock.ws.on('CB:ib,,offline', resolve));
  off();
  const child = Array.isArray(offline.content) ? offline.content[0] : undefined;
  expect(child?.attrs.count).toBe('250');
  expect(previews).toEqual(['250', '150', '50']);
  expect(requests).toEqual([100, 100, 100]);
  // Baileys flushes its buffered upserts at the offline node; the last ones may still be decrypting.
  await eventually(() => expect([...upserted].sort()).toEqual([...ids].sort()));
});
