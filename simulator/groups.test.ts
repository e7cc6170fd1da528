import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WAMessage } from '@whiskeysockets/baileys';
import { describe, expect, test } from 'vitest';
import { useSimulator } from './test-fixture.ts';
import { startSimulator } from './server.ts';
import type { Simulator } from './server.ts';
import { connectClient, linkClient } from './test-client.ts';
import type { TestClient } from './test-client.ts';

let simulator: Simulator;
const track = useSimulator((started) => (simulator = started));

const pn = (phone: string) => `${phone}@s.whatsapp.net`;

/** Resolves with the first non-own upsert of a message in `group` that `matches`. */
function groupUpsertWhere(client: TestClient, group: string, matches: (m: WAMessage) => boolean) {
  return client.next('messages.upsert', ({ messages }) => messages.some((m) => m.key.remoteJid === group && !m.key.fromMe && matches(m)))
    .then(({ messages }) => messages.find((m) => m.key.remoteJid === group && matches(m))!);
}

/** Resolves with the first non-own upsert of a message in `group` whose text is `text`. */
function groupUpsert(client: TestClient, group: string, text: string) {
  return client.next('messages.upsert', ({ messages }) =>
    messages.some((m) => m.key.remoteJid === group && !m.key.fromMe && m.message?.conversation === text),
  ).then(({ messages }) => messages.find((m) => m.key.remoteJid === group && m.message?.conversation === text)!);
}

describe('groups through real Baileys', () => {
  test('a group Baileys creates has its subject, its creator as super admin and its members by LID with their phone numbers; metadata and the participating list show it', async () => {
    const client = await linkClient(simulator, '6285500000001', track);
    const created = await client.sock.groupCreate('Tim Gudang', [pn('6289910000001'), pn('6289910000002')]);
    expect(created.id).toMatch(/^120363\d{12}@g\.us$/);
    expect(created).toMatchObject({ subject: 'Tim Gudang', addressingMode: 'lid', size: 3, ownerPn: pn('6285500000001') });
    const metadata = await client.sock.groupMetadata(created.id);
    expect(metadata.subject).toBe('Tim Gudang');
    expect(metadata.owner).toMatch(/@lid$/);
    expect(metadata.participants.map((p) => [p.phoneNumber, p.admin])).toEqual([
      [pn('6285500000001'), 'superadmin'],
      [pn('6289910000001'), null],
      [pn('6289910000002'), null],
    ]);
    for (const participant of metadata.participants) expect(participant.id).toMatch(/^\d+@lid$/);
    const all = await client.sock.groupFetchAllParticipating();
    expect(Object.keys(all)).toEqual([created.id]);
    expect(all[created.id]!.participants).toHaveLength(3);
  });

  test('metadata of a group that does not exist fails with 404, and of a group one is not in with 403', async () => {
    const outsider = await linkClient(simulator, '6285500000002', track);
    await expect(outsider.sock.groupMetadata('120363000000000001@g.us')).rejects.toMatchObject({ message: 'item-not-found', data: 404 });
    const owner = await linkClient(simulator, '6285500000003', track);
    const group = await owner.sock.groupCreate('Privat', [pn('6289910000003')]);
    await expect(outsider.sock.groupMetadata(group.id)).rejects.toMatchObject({ message: 'forbidden', data: 403 });
  });

  test("a message Baileys sends to a group is decrypted by every member's phone and companion, and the next one under the same sender key too", async () => {
    const client = await linkClient(simulator, '6285500000004', track);
    const [a, b] = ['6289910000004', '6289910000005'];
    simulator.addContactDevice(b);
    const group = await client.sock.groupCreate('Pengiriman', [pn(a), pn(b)]);
    for (const text of ['barang sudah dikirim', 'dan sudah sampai']) {
      const stored = Promise.all([
        simulator.events.waitFor('message-stored', (m) => m.to === a && m.text === text),
        simulator.events.waitFor('message-stored', (m) => m.to === b && m.text === text && m.devices[0] === 0),
        simulator.events.waitFor('message-stored', (m) => m.to === b && m.text === text && m.devices[0] !== 0),
      ]);
      const sent = await client.sock.sendMessage(group.id, { text });
      const events = await stored;
      for (const event of events) expect(event).toMatchObject({ id: sent!.key.id, from: '6285500000004', group: group.id });
    }
    expect(simulator.inbox(a).map((m) => [m.text, m.group])).toEqual([
      ['barang sudah dikirim', group.id],
      ['dan sudah sampai', group.id],
    ]);
  });

  test("a contact's group post reaches Baileys decrypted, from the group with the member as participant by LID and phone number", async () => {
    const client = await linkClient(simulator, '6285500000005', track);
    const member = '6289910000006';
    const group = await client.sock.groupCreate('Kantor', [pn(member)]);
    for (const text of ['selamat pagi semua', 'rapat jam 10']) {
      const upsert = groupUpsert(client, group.id, text);
      const sent = simulator.events.waitFor('group-message-sent', (m) => m.from === member);
      const { id } = await simulator.groupSend(group.id, member, text, { pushName: 'Budi' });
      const message = await upsert;
      expect(message.key).toMatchObject({ id, remoteJid: group.id, participantAlt: pn(member), addressingMode: 'lid' });
      expect(message.key.participant).toMatch(/^\d+@lid$/);
      expect(message.pushName).toBe('Budi');
      // The sender key goes to the device once; later posts are the skmsg alone.
      expect(await sent).toMatchObject({ devices: 1, distributions: text === 'selamat pagi semua' ? 1 : 0 });
    }
    // Baileys' receipt settles the post: nothing is redelivered at its next login.
    const receipts: string[] = [];
    simulator.events.on('receipt-received', (r) => r.from === '6285500000005' && receipts.push(`${r.id} ${r.to}`));
    const upsert = groupUpsert(client, group.id, 'tanpa akhiran');
    const { id } = await simulator.groupSend(group.id.replace('@g.us', ''), member, 'tanpa akhiran');
    await upsert;
    await simulator.events.waitFor('receipt-received', (r) => r.id === id);
    expect(receipts).toContain(`${id} ${member}`);
  });

  test("a contact's reply in a group quotes the message it answers", async () => {
    const client = await linkClient(simulator, '6285500000010', track);
    const member = '6289910000011';
    const group = await client.sock.groupCreate('Balasan', [pn(member)]);
    const stored = simulator.events.waitFor('message-stored', (m) => m.to === member && m.group === group.id);
    const sent = await client.sock.sendMessage(group.id, { text: 'ada stok?' });
    await stored;
    const upsert = groupUpsertWhere(client, group.id, (m) => m.message?.extendedTextMessage?.text === 'ada, 12');
    await simulator.groupSend(group.id, member, '', {
      message: { extendedTextMessage: { text: 'ada, 12', contextInfo: { stanzaId: sent!.key.id, participant: client.sock.user!.lid ?? undefined, quotedMessage: { conversation: 'ada stok?' } } } },
    });
    expect((await upsert).message?.extendedTextMessage?.contextInfo).toMatchObject({ stanzaId: sent!.key.id, quotedMessage: { conversation: 'ada stok?' } });
  });

  test('a post by a non-member or in an unknown group is refused, over HTTP as a 4xx JSON error', async () => {
    const client = await linkClient(simulator, '6285500000006', track);
    const group = await client.sock.groupCreate('Tertutup', [pn('6289910000007')]);
    const post = (id: string, body: unknown): Promise<{ status: number; json: any }> =>
      fetch(`${simulator.url}/control/groups/${encodeURIComponent(id)}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, json: await r.json() }));
    expect(await post('120363000000000009@g.us', { from: '6289910000007', text: 'x' })).toMatchObject({ status: 404, json: { error: expect.any(String) } });
    expect((await post(group.id, { from: '6289910000099', text: 'x' })).status).toBe(400);
    expect((await post(group.id, { from: '6289910000007' })).status).toBe(400);
    const upsert = groupUpsert(client, group.id, 'lewat http');
    const ok = await post(group.id, { from: '6289910000007', text: 'lewat http' });
    expect(ok).toMatchObject({ status: 200, json: { id: expect.any(String) } });
    expect((await upsert).key.id).toBe((ok.json as { id: string }).id);
  });
});

test('groups and the sender keys contacts hold survive a restart on the same state file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kabar-simulator-groups-'));
  const statePath = join(dir, 'state.json');
  const member = '6289910000008';
  const first = await startSimulator({ statePath });
  let second: Simulator | undefined;
  const clients: TestClient[] = [];
  try {
    const client = await linkClient(first, '6285500000007', (c) => clients.push(c));
    const group = await client.sock.groupCreate('Tetap', [pn(member)]);
    const stored = first.events.waitFor('message-stored', (m) => m.to === member && m.text === 'sebelum');
    await client.sock.sendMessage(group.id, { text: 'sebelum' });
    await stored;
    for (const c of clients.splice(0)) c.end();
    await first.close();
    second = await startSimulator({ statePath });
    const again = connectClient(second.wsUrl, { state: client.state });
    clients.push(again);
    await again.connection((update) => update.connection === 'open');
    expect((await again.sock.groupMetadata(group.id)).subject).toBe('Tetap');
    expect(second.inbox(member).map((m) => [m.text, m.group])).toEqual([['sebelum', group.id]]);
    // Baileys holds the member as having its sender key and sends the skmsg alone: the member decrypts it
    // with the key it kept across the restart.
    const after = second.events.waitFor('message-stored', (m) => m.to === member && m.text === 'sesudah');
    await again.sock.sendMessage(group.id, { text: 'sesudah' });
    expect(await after).toMatchObject({ group: group.id });
  } finally {
    for (const c of clients) c.end();
    await first.close().catch(() => undefined);
    await second?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
