import { describe, expect, test } from 'vitest';
import { useSimulator } from './test-fixture.ts';
import type { Simulator } from './server.ts';
import { linkClient } from './test-client.ts';

let simulator: Simulator;
const track = useSimulator((started) => (simulator = started));

const pn = (phone: string) => `${phone}@s.whatsapp.net`;

describe('group addressing and sessions through real Baileys', () => {
  test('a PN-addressed group names members by phone number with their LID, both ways', async () => {
    const [me, boss, other] = ['6287700000001', '6289930000001', '6289930000002'];
    const client = await linkClient(simulator, me, track);
    const { id } = simulator.createGroup(boss, 'Lama', [me, other], { addressing: 'pn' });
    const metadata = await client.sock.groupMetadata(id);
    expect(metadata.addressingMode).toBe('pn');
    expect(metadata.participants.map((p) => [p.id, p.lid?.endsWith('@lid')])).toEqual([
      [pn(boss), true],
      [pn(me), true],
      [pn(other), true],
    ]);

    const stored = Promise.all([boss, other].map((to) => simulator.events.waitFor('message-stored', (m) => m.to === to && m.group === id)));
    await client.sock.sendMessage(id, { text: 'halo grup lama' });
    for (const event of await stored) expect(event.text).toBe('halo grup lama');

    const upsert = client.next('messages.upsert', ({ messages }) => messages.some((m) => m.key.remoteJid === id && !m.key.fromMe));
    await simulator.groupSend(id, boss, 'dari bos');
    const message = (await upsert).messages.find((m) => m.key.remoteJid === id)!;
    expect(message.message?.conversation).toBe('dari bos');
    expect(message.key).toMatchObject({ participant: pn(boss), addressingMode: 'pn' });
    expect(message.key.participantAlt).toMatch(/^\d+@lid$/);
  });

  test("a member device Baileys never saw gets the skmsg without the sender key, asks again, and Baileys resends to it alone with the key", async () => {
    const [me, member] = ['6287700000002', '6289930000003'];
    const client = await linkClient(simulator, me, track);
    const group = await client.sock.groupCreate('Perangkat Baru', [pn(member)]);
    const first = simulator.events.waitFor('group-message-delivered', (d) => d.group === group.id);
    await client.sock.sendMessage(group.id, { text: 'sebelum' });
    await first;
    // Baileys now holds the member's device list (its phone only) in its device cache.
    const { device } = simulator.addContactDevice(member);
    const retried = simulator.events.waitFor('group-retry-sent', (r) => r.from === member && r.device === device);
    const onPhone = simulator.events.waitFor('message-stored', (m) => m.to === member && m.text === 'sesudah' && m.devices[0] === 0);
    const onCompanion = simulator.events.waitFor('message-stored', (m) => m.to === member && m.text === 'sesudah' && m.devices[0] === device);
    const sent = await client.sock.sendMessage(group.id, { text: 'sesudah' });
    expect(await retried).toMatchObject({ id: sent!.key.id, count: 1 });
    await onPhone;
    expect(await onCompanion).toMatchObject({ id: sent!.key.id, group: group.id });
  });
});

test("the \"No sessions\" trap: right after creating a group, a member device the server has no keys for gets no sender key; it asks again with its keys and Baileys resends to it", async () => {
  const [me, member] = ['6287700000003', '6289930000004'];
  const { device } = simulator.addContactDevice(member, { publishKeys: false });
  const client = await linkClient(simulator, me, track);
  const group = await client.sock.groupCreate('Langsung', [pn(member)]);
  const retried = simulator.events.waitFor('group-retry-sent', (r) => r.from === member && r.device === device);
  const onPhone = simulator.events.waitFor('message-stored', (m) => m.to === member && m.devices[0] === 0);
  const onCompanion = simulator.events.waitFor('message-stored', (m) => m.to === member && m.devices[0] === device);
  // Baileys' usync lists the companion, its key fetch gets no bundle for it, and its encryption to it fails
  // with "No sessions" (logged, not thrown): the send goes on to the other devices and marks the companion as
  // holding the sender key.
  const sent = await client.sock.sendMessage(group.id, { text: 'langsung kirim' });
  expect((await onPhone).text).toBe('langsung kirim');
  expect(await retried).toMatchObject({ id: sent!.key.id, count: 1 });
  expect(await onCompanion).toMatchObject({ id: sent!.key.id, text: 'langsung kirim' });
  expect(simulator.inbox(member).filter((m) => m.id === sent!.key.id)).toHaveLength(2);
});
