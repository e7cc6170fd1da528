// Groups through the whole connector and real Baileys against the simulator: every group command, a
// message to a group decrypted on every member's device (also after members change), member posts
// received with their chat and sender, and the group.* events for changes made here and by others.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import type { Command, CommandData, GroupInfo, OutgoingMessage } from '../shared/protocol.ts';
import { eventually } from '../testing/eventually.ts';
import { command, hubEvent, pair, WAIT_MS, type Stack, useConnectorStack } from './test-stack.ts';

let simulator: Simulator;
let stack: Stack;

useConnectorStack('kabar-connector-groups-', (world) => ({ simulator, stack } = world), { store: 'groups.db' });

type GroupCommand = Extract<Command, { name: `group.${string}` }>;
type Without<C> = C extends unknown ? Omit<C, 'sessionId'> : never;

/** Runs a group command for `sessionId`; resolves with its data, or throws with the error code. */
async function group<D = CommandData>(sessionId: string, cmd: Without<GroupCommand>): Promise<D> {
  const result = await command(stack.hub, { ...cmd, sessionId } as Command);
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.data as D;
}

async function send(sessionId: string, to: string, text: string, mentions?: string[]) {
  const result = await command(stack.hub, { name: 'send.message', sessionId, to, message: { type: 'text', text }, ...(mentions ? { mentions } : {}) });
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.data as { messageId: string; remoteJid: string };
}

/** Sends `text` to the group and waits until each of `members` has decrypted it; resolves with the send and what each stored. */
async function sendDecrypted(sessionId: string, groupId: string, text: string, members: string[], mentions?: string[]) {
  const stored = members.map((m) => simulator.events.waitFor('message-stored', (s) => s.group === groupId && s.text === text && s.to === m, WAIT_MS));
  const sent = await send(sessionId, groupId, text, mentions);
  const all = await Promise.all(stored);
  expect(all.map((s) => s.id)).toEqual(members.map(() => sent.messageId));
  return { sent, stored: all.map((s) => ({ to: s.to, text: s.text, group: s.group })) };
}

describe('groups through real Baileys', () => {
  it('creates a group, reads, lists and updates it, and reports each change as an event', async () => {
    const [me, c1, c2, absent] = ['6286100000001', '6286190000001', '6286190000002', '6286190000003'];
    simulator.setNumber(absent, { onWhatsApp: false });
    await pair(stack, simulator, 'g-create', me);
    const mark = stack.hub.received.length;

    const { group: created } = await group<{ group: GroupInfo }>('g-create', { name: 'group.create', subject: 'Gudang', participants: [c1, c2, absent] });
    expect(created).toMatchObject({ subject: 'Gudang', owner: me, announce: false, locked: false });
    // The number not on WhatsApp is not a member, though WhatsApp's answer to the create names it too.
    expect(created.participants.map((p) => [p.phone, p.role]).sort()).toEqual([
      [me, 'superadmin'],
      [c1, 'member'],
      [c2, 'member'],
    ]);
    expect(created.participants.every((p) => p.lid?.endsWith('@lid'))).toBe(true);
    const joined = await hubEvent(stack.hub, 'g-create', 'group.joined', (e) => e.group.id === created.id, mark);
    expect(joined).toMatchObject({ group: { subject: 'Gudang', size: 3 }, by: me });

    const { groups } = await group<{ groups: { id: string; subject: string; size: number }[] }>('g-create', { name: 'group.list' });
    expect(groups).toContainEqual(expect.objectContaining({ id: created.id, subject: 'Gudang', size: 3 }));
    expect((await group<{ group: GroupInfo }>('g-create', { name: 'group.get', groupId: created.id })).group).toEqual(created);

    const { group: updated } = await group<{ group: GroupInfo }>('g-create', {
      name: 'group.update',
      groupId: created.id,
      subject: 'Gudang Timur',
      description: 'Stok harian',
      announce: true,
      locked: true,
    });
    expect(updated).toMatchObject({ subject: 'Gudang Timur', description: 'Stok harian', announce: true, locked: true });
    expect(simulator.group(created.id)).toMatchObject({ subject: 'Gudang Timur', description: 'Stok harian', announce: true, locked: true });
    expect(await hubEvent(stack.hub, 'g-create', 'group.updated', (e) => e.groupId === created.id, mark)).toMatchObject({
      subject: 'Gudang Timur',
      description: 'Stok harian',
      announce: true,
      locked: true,
      by: me,
    });
  });

  it('adds, promotes, demotes and removes with a result per participant, and refuses what only members or admins may do', async () => {
    const [me, c1, c2, absent, privacy] = ['6286100000002', '6286190000011', '6286190000012', '6286190000013', '6286190000014'];
    simulator.setNumber(absent, { onWhatsApp: false });
    simulator.setNumber(privacy, { groupAdds: 'nobody' });
    await pair(stack, simulator, 'g-members', me);
    const { group: g } = await group<{ group: GroupInfo }>('g-members', { name: 'group.create', subject: 'Anggota', participants: [c1] });
    const mark = stack.hub.received.length;

    const added = await group<{ results: unknown[] }>('g-members', { name: 'group.participants', groupId: g.id, action: 'add', participants: [c2, absent, privacy, c1] });
    expect(added.results).toEqual([
      { phone: c2, status: 200, outcome: 'OK' },
      { phone: absent, status: 404, outcome: 'NOT_FOUND' },
      { phone: privacy, status: 403, outcome: 'PRIVACY' },
      { phone: c1, status: 409, outcome: 'ALREADY_MEMBER' },
    ]);
    expect(await hubEvent(stack.hub, 'g-members', 'group.participants', (e) => e.groupId === g.id && e.action === 'add', mark)).toMatchObject({
      participants: [{ phone: c2 }],
      by: me,
    });
    for (const action of ['promote', 'demote'] as const) {
      expect((await group<{ results: unknown[] }>('g-members', { name: 'group.participants', groupId: g.id, action, participants: [c2] })).results).toEqual([
        { phone: c2, status: 200, outcome: 'OK' },
      ]);
      await hubEvent(stack.hub, 'g-members', 'group.participants', (e) => e.groupId === g.id && e.action === action, mark);
    }
    expect(simulator.group(g.id).members.find((m) => m.phone === c2)?.role).toBe('member');
    const removed = await group<{ results: unknown[] }>('g-members', { name: 'group.participants', groupId: g.id, action: 'remove', participants: [c2, absent] });
    expect(removed.results).toEqual([
      { phone: c2, status: 200, outcome: 'OK' },
      { phone: absent, status: 404, outcome: 'NOT_FOUND' },
    ]);
    expect(simulator.group(g.id).members.map((m) => m.phone).sort()).toEqual([c1, me].sort());

    // A group this session is only a member of: no admin rights. One it is not in, or none at all: not found.
    const other = simulator.createGroup(c1, 'Bukan milikku', [me]);
    await expect(group('g-members', { name: 'group.update', groupId: other.id, subject: 'x', locked: true })).rejects.toMatchObject({ code: 'NOT_GROUP_ADMIN' });
    await expect(group('g-members', { name: 'group.participants', groupId: other.id, action: 'add', participants: [c2] })).rejects.toMatchObject({ code: 'NOT_GROUP_ADMIN' });
    const foreign = simulator.createGroup(c1, 'Tanpa aku', [c2]);
    await expect(group('g-members', { name: 'group.get', groupId: foreign.id })).rejects.toMatchObject({ code: 'GROUP_NOT_FOUND' });
    await expect(group('g-members', { name: 'group.get', groupId: '120363999999999999@g.us' })).rejects.toMatchObject({ code: 'GROUP_NOT_FOUND' });
  });

  it('sends to a group and every member decrypts it, also after one is added and another removed', async () => {
    const [me, c1, c2, c3] = ['6286100000003', '6286190000021', '6286190000022', '6286190000023'];
    await pair(stack, simulator, 'g-send', me);
    const { group: g } = await group<{ group: GroupInfo }>('g-send', { name: 'group.create', subject: 'Kirim', participants: [c1, c2] });

    const { sent: first, stored } = await sendDecrypted('g-send', g.id, 'halo semua @6286190000021', [c1, c2], [c1]);
    expect(first.remoteJid).toBe(g.id);
    expect(stored).toEqual([
      { to: c1, text: 'halo semua @6286190000021', group: g.id },
      { to: c2, text: 'halo semua @6286190000021', group: g.id },
    ]);
    const sent = await hubEvent(stack.hub, 'g-send', 'message.sent', (e) => e.messageId === first.messageId);
    expect(sent).toMatchObject({ to: g.id, text: 'halo semua @6286190000021', source: 'api' });
    await hubEvent(stack.hub, 'g-send', 'message.status', (e) => e.messageId === first.messageId && e.status === 'sent');

    await group('g-send', { name: 'group.participants', groupId: g.id, action: 'add', participants: [c3] });
    const { sent: second } = await sendDecrypted('g-send', g.id, 'selamat datang', [c1, c2, c3]);

    await group('g-send', { name: 'group.participants', groupId: g.id, action: 'remove', participants: [c2] });
    const delivered = simulator.events.waitFor('group-message-delivered', (d) => d.group === g.id && d.from === me && d.id !== first.messageId && d.id !== second.messageId, WAIT_MS);
    const { sent: third } = await sendDecrypted('g-send', g.id, 'tanpa c2', [c1, c3]);
    expect((await delivered).members.sort()).toEqual([c1, c3].sort());
    expect(simulator.inbox(c2).map((m) => m.id)).not.toContain(third.messageId);
  });

  it("receives members' posts with the group, its subject and the sender's phone and LID", async () => {
    const [me, c1, c2] = ['6286100000004', '6286190000031', '6286190000032'];
    await pair(stack, simulator, 'g-recv', me);
    const { group: g } = await group<{ group: GroupInfo }>('g-recv', { name: 'group.create', subject: 'Terima', participants: [c1, c2] });
    const { id } = await simulator.groupSend(g.id, c1, 'pesan dari c1', { pushName: 'Citra' });
    const received = await hubEvent(stack.hub, 'g-recv', 'message.received', (e) => e.messageId === id);
    expect(received).toMatchObject({ from: c1, fromLid: expect.stringMatching(/@lid$/), pushName: 'Citra', text: 'pesan dari c1', chat: { type: 'group', id: g.id, subject: 'Terima' } });

    // After a member is added, its posts decrypt too (it hands its sender key to this device first).
    const c3 = '6286190000033';
    await group('g-recv', { name: 'group.participants', groupId: g.id, action: 'add', participants: [c3] });
    const late = await simulator.groupSend(g.id, c3, 'saya baru');
    expect(await hubEvent(stack.hub, 'g-recv', 'message.received', (e) => e.messageId === late.id)).toMatchObject({ from: c3, text: 'saya baru', chat: { id: g.id } });
  });

  it('works in a phone-number-addressed group too: posts received from the member, sends decrypted by each', async () => {
    const [me, owner, c2] = ['6286100000006', '6286190000051', '6286190000052'];
    await pair(stack, simulator, 'g-pn', me);
    const mark = stack.hub.received.length;
    const pn = simulator.createGroup(owner, 'Alamat nomor', [me, c2], { addressing: 'pn' });
    await hubEvent(stack.hub, 'g-pn', 'group.joined', (e) => e.group.id === pn.id, mark);
    const { id } = await simulator.groupSend(pn.id, owner, 'dari pemilik');
    expect(await hubEvent(stack.hub, 'g-pn', 'message.received', (e) => e.messageId === id)).toMatchObject({
      from: owner,
      text: 'dari pemilik',
      chat: { type: 'group', id: pn.id, subject: 'Alamat nomor' },
    });
    const { stored } = await sendDecrypted('g-pn', pn.id, 'balas ke grup nomor', [owner, c2]);
    expect(stored.map((m) => m.group)).toEqual([pn.id, pn.id]);
  });

  it('gets a send right after creating a group to a member device the server had no keys for (the "No sessions" trap) by its retry', async () => {
    const [me, member] = ['6286100000007', '6286190000061'];
    const { device } = simulator.addContactDevice(member, { publishKeys: false });
    await pair(stack, simulator, 'g-trap', me);
    const { group: g } = await group<{ group: GroupInfo }>('g-trap', { name: 'group.create', subject: 'Langsung', participants: [member] });
    const retried = simulator.events.waitFor('group-retry-sent', (r) => r.from === member && r.device === device, WAIT_MS);
    const onCompanion = simulator.events.waitFor('message-stored', (m) => m.to === member && m.group === g.id && m.devices[0] === device, WAIT_MS);
    const { sent } = await sendDecrypted('g-trap', g.id, 'langsung kirim', [member]);
    expect(await retried).toMatchObject({ id: sent.messageId, count: 1 });
    expect(await onCompanion).toMatchObject({ id: sent.messageId, text: 'langsung kirim' });
  });

  it('gets and revokes the invite, joins by code, leaves, and hears of changes others make', async () => {
    const [me, owner, c2, c3] = ['6286100000005', '6286190000041', '6286190000042', '6286190000043'];
    await pair(stack, simulator, 'g-invite', me);
    const mark = stack.hub.received.length;

    // Added by someone else: group.joined from WhatsApp's create notification.
    const theirs = simulator.createGroup(owner, 'Milik orang', [me, c2]);
    expect(await hubEvent(stack.hub, 'g-invite', 'group.joined', (e) => e.group.id === theirs.id, mark)).toMatchObject({ group: { subject: 'Milik orang' } });
    simulator.setGroupSubject(theirs.id, owner, 'Nama baru');
    expect(await hubEvent(stack.hub, 'g-invite', 'group.updated', (e) => e.groupId === theirs.id, mark)).toMatchObject({ subject: 'Nama baru' });
    simulator.groupParticipants(theirs.id, owner, 'add', [c3]);
    expect(await hubEvent(stack.hub, 'g-invite', 'group.participants', (e) => e.groupId === theirs.id && e.action === 'add', mark)).toMatchObject({
      participants: [{ phone: c3 }],
    });
    await expect(group('g-invite', { name: 'group.invite', groupId: theirs.id })).rejects.toMatchObject({ code: 'NOT_GROUP_ADMIN' });
    simulator.groupParticipants(theirs.id, owner, 'remove', [me]);
    await hubEvent(stack.hub, 'g-invite', 'group.left', (e) => e.groupId === theirs.id, mark);

    // Own group: the invite, a revoke that makes the old code useless, a join by code, and leaving.
    const { group: mine } = await group<{ group: GroupInfo }>('g-invite', { name: 'group.create', subject: 'Undangan', participants: [c2] });
    const { invite } = await group<{ invite: { code: string; link: string } }>('g-invite', { name: 'group.invite', groupId: mine.id });
    expect(invite).toEqual({ code: simulator.group(mine.id).inviteCode, link: `https://chat.whatsapp.com/${simulator.group(mine.id).inviteCode}` });
    const { invite: fresh } = await group<{ invite: { code: string } }>('g-invite', { name: 'group.invite', groupId: mine.id, revoke: true });
    expect(fresh.code).not.toBe(invite.code);
    expect(simulator.group(mine.id).inviteCode).toBe(fresh.code);

    const open = simulator.createGroup(owner, 'Terbuka', [c2]);
    await expect(group('g-invite', { name: 'group.join', code: 'NoSuchCode0000000000000' })).rejects.toMatchObject({ code: 'INVITE_INVALID' });
    expect(await group('g-invite', { name: 'group.join', code: simulator.group(open.id).inviteCode })).toEqual({ groupId: open.id, member: true });
    expect(await hubEvent(stack.hub, 'g-invite', 'group.joined', (e) => e.group.id === open.id, mark)).toMatchObject({ group: { subject: 'Terbuka' }, by: me });
    expect(simulator.group(open.id).members.map((m) => m.phone)).toContain(me);

    expect(await group('g-invite', { name: 'group.leave', groupId: open.id })).toEqual({ groupId: open.id, member: false });
    expect(await hubEvent(stack.hub, 'g-invite', 'group.left', (e) => e.groupId === open.id, mark)).toMatchObject({ by: me });
    expect(simulator.group(open.id).members.map((m) => m.phone)).not.toContain(me);
    await expect(group('g-invite', { name: 'group.leave', groupId: open.id })).rejects.toMatchObject({ code: 'GROUP_NOT_FOUND' });
  });

  it('sends a reply, a reaction and an image to a group, each decrypted by every member as its kind', async () => {
    const [me, c1, c2] = ['6286100000009', '6286190000091', '6286190000092'];
    await pair(stack, simulator, 'g-kinds', me);
    const { group: created } = await group<{ group: GroupInfo }>('g-kinds', { name: 'group.create', subject: 'Jenis', participants: [c1, c2] });
    const { sent: first } = await sendDecrypted('g-kinds', created.id, 'halo semua', [c1, c2]);
    const image = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 0, g: 90, b: 200 } } }).jpeg().toBuffer();
    const sha256 = createHash('sha256').update(image).digest('hex');
    stack.media.serve('media-group-image-01', image);
    const media = { id: 'media-group-image-01', url: await stack.media.link('GET', 'g-kinds', 'media-group-image-01'), mimetype: 'image/jpeg', size: image.length, sha256 };
    const sends: { message: OutgoingMessage; replyTo?: string; expected: Record<string, unknown> }[] = [
      { message: { type: 'text', text: 'balasan' }, replyTo: first.messageId, expected: { kind: 'text', text: 'balasan', replyTo: first.messageId } },
      { message: { type: 'reaction', messageId: first.messageId, emoji: '👍' }, expected: { kind: 'reaction' } },
      { message: { type: 'image', media, caption: 'gambar' }, expected: { kind: 'image', text: 'gambar', media: expect.objectContaining({ sha256, size: image.length, caption: 'gambar' }) } },
    ];
    for (const { message, replyTo, expected } of sends) {
      const result = await command(stack.hub, { name: 'send.message', sessionId: 'g-kinds', to: created.id, message, ...(replyTo ? { replyTo } : {}) });
      expect(result, message.type).toMatchObject({ ok: true, data: { type: message.type, remoteJid: created.id } });
      const messageId = result.ok ? (result.data as { messageId: string }).messageId : '';
      for (const member of [c1, c2]) {
        const got = await eventually(() => {
          const found = simulator.inbox(member).find((m) => m.id === messageId);
          if (!found) throw new Error(`${member} has not decrypted the ${message.type} yet`);
          return found;
        }, { timeoutMs: WAIT_MS });
        expect(got, `${message.type} at ${member}`).toMatchObject({ group: created.id, from: me, ...expected });
      }
    }
    const reaction = simulator.inbox(c1).find((m) => m.kind === 'reaction');
    expect(JSON.stringify(reaction?.content)).toContain(first.messageId);
  });
});
