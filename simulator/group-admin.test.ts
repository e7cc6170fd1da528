import type { GroupParticipant } from '@whiskeysockets/baileys';
import { describe, expect, test } from 'vitest';
import { useSimulator } from './test-fixture.ts';
import type { Simulator } from './server.ts';
import { linkClient } from './test-client.ts';
import type { TestClient } from './test-client.ts';

let simulator: Simulator;
const track = useSimulator((started) => (simulator = started));

const pn = (phone: string) => `${phone}@s.whatsapp.net`;
const phones = (participants: GroupParticipant[]) => participants.map((p) => p.phoneNumber);

/** The LID the simulator gave `phone`, as a group in it names it. */
const lidIn = (group: string, phone: string) => simulator.group(group).members.find((m) => m.phone === phone)?.lid;

/** Every message text the member received in `group`, from its inbox. */
const groupTexts = (phone: string, group: string) => simulator.inbox(phone).filter((m) => m.group === group).map((m) => m.text);

describe('managing a group through real Baileys', () => {
  test('subject, description and settings change, the metadata shows it, and another member account hears each change from the actor', async () => {
    const [a, b] = ['6286600000001', '6286600000002'];
    const owner = await linkClient(simulator, a, track);
    const member = await linkClient(simulator, b, track);
    const created = member.next('groups.upsert');
    const group = await owner.sock.groupCreate('Lama', [pn(b), pn('6289920000001')]);
    expect((await created)[0]).toMatchObject({ id: group.id, subject: 'Lama', authorPn: pn(a) });

    const subject = member.next('groups.update', (updates) => updates.some((u) => u.subject));
    await owner.sock.groupUpdateSubject(group.id, 'Baru');
    // Baileys keeps the actor's LID as author; it drops participant_pn when it stores the notification's stub.
    expect((await subject)[0]).toMatchObject({ id: group.id, subject: 'Baru', author: lidIn(group.id, a) });

    const description = member.next('groups.update', (updates) => updates.some((u) => u.desc));
    await owner.sock.groupUpdateDescription(group.id, 'Grup untuk tim gudang');
    expect((await description)[0]).toMatchObject({ desc: 'Grup untuk tim gudang' });

    const announce = member.next('groups.update', (updates) => updates.some((u) => u.announce !== undefined));
    await owner.sock.groupSettingUpdate(group.id, 'announcement');
    expect((await announce)[0]).toMatchObject({ announce: true });
    const locked = member.next('groups.update', (updates) => updates.some((u) => u.restrict !== undefined));
    await owner.sock.groupSettingUpdate(group.id, 'locked');
    expect((await locked)[0]).toMatchObject({ restrict: true });

    const metadata = await member.sock.groupMetadata(group.id);
    expect(metadata).toMatchObject({ subject: 'Baru', subjectOwnerPn: pn(a), desc: 'Grup untuk tim gudang', descOwnerPn: pn(a), announce: true, restrict: true });
    // Locked: a plain member may not change the subject; announce-only: its message is refused.
    await expect(member.sock.groupUpdateSubject(group.id, 'Dari anggota')).rejects.toMatchObject({ message: 'not-authorized', data: 401 });
    await expect(member.sock.groupSettingUpdate(group.id, 'unlocked')).rejects.toMatchObject({ data: 401 });
    const refused = simulator.events.waitFor('send-refused', (r) => r.from === b);
    await member.sock.sendMessage(group.id, { text: 'boleh bicara?' });
    expect(await refused).toMatchObject({ to: group.id, code: 403 });
    expect(simulator.group(group.id)).toMatchObject({ subject: 'Baru', announce: true, locked: true });
  });

  test('adding, removing, promoting and demoting answer per participant as WhatsApp does: not on WhatsApp 404, privacy 403, already in 409', async () => {
    const [a, b] = ['6286600000003', '6286600000004'];
    const [x, absent, privacy] = ['6289920000002', '6289920000003', '6289920000004'];
    simulator.setNumber(absent, { onWhatsApp: false });
    simulator.setNumber(privacy, { groupAdds: 'nobody' });
    const owner = await linkClient(simulator, a, track);
    const member = await linkClient(simulator, b, track);
    const group = await owner.sock.groupCreate('Anggota', [pn(b)]);

    const added = member.next('group-participants.update', (u) => u.action === 'add');
    const results = await owner.sock.groupParticipantsUpdate(group.id, [pn(x), pn(absent), pn(privacy), pn(b)], 'add');
    expect(results.map((r) => [r.jid, r.status])).toEqual([
      [pn(x), '200'],
      [pn(absent), '404'],
      [pn(privacy), '403'],
      [pn(b), '409'],
    ]);
    // A privacy refusal carries the invitation WhatsApp offers instead.
    expect(results[2]!.content).toMatchObject({ content: [{ tag: 'add_request', attrs: { code: expect.any(String) } }] });
    expect(await added).toMatchObject({ id: group.id, author: lidIn(group.id, a), participants: [{ phoneNumber: pn(x) }] });

    // A plain member may not manage participants.
    await expect(member.sock.groupParticipantsUpdate(group.id, [pn(x)], 'remove')).rejects.toMatchObject({ data: 401 });

    const promoted = member.next('group-participants.update', (u) => u.action === 'promote');
    expect((await owner.sock.groupParticipantsUpdate(group.id, [pn(x), pn(absent)], 'promote')).map((r) => r.status)).toEqual(['200', '404']);
    expect((await promoted).participants).toMatchObject([{ phoneNumber: pn(x), admin: 'admin' }]);
    const demoted = member.next('group-participants.update', (u) => u.action === 'demote');
    await owner.sock.groupParticipantsUpdate(group.id, [pn(x)], 'demote');
    expect((await demoted).participants).toMatchObject([{ phoneNumber: pn(x) }]);

    const removed = member.next('group-participants.update', (u) => u.action === 'remove');
    expect((await owner.sock.groupParticipantsUpdate(group.id, [pn(x)], 'remove')).map((r) => r.status)).toEqual(['200']);
    expect((await removed).participants).toMatchObject([{ phoneNumber: pn(x) }]);
    expect(phones((await owner.sock.groupMetadata(group.id)).participants)).toEqual([pn(a), pn(b)]);
  });

  test('after a member is added or removed the next message reaches exactly the current members, the added one with the sender key', async () => {
    const a = '6286600000005';
    const [x, y, z] = ['6289920000005', '6289920000006', '6289920000007'];
    const owner = await linkClient(simulator, a, track);
    const group = await owner.sock.groupCreate('Berubah', [pn(x), pn(y)]);
    const send = async (text: string) => {
      const delivered = simulator.events.waitFor('group-message-delivered', (d) => d.group === group.id && d.from === a);
      await owner.sock.sendMessage(group.id, { text });
      return (await delivered).members;
    };
    expect(await send('pertama')).toEqual([x, y]);
    await owner.sock.groupParticipantsUpdate(group.id, [pn(z)], 'add');
    expect(await send('kedua')).toEqual([x, y, z]);
    await owner.sock.groupParticipantsUpdate(group.id, [pn(x)], 'remove');
    expect(await send('ketiga')).toEqual([y, z]);
    expect(groupTexts(x, group.id)).toEqual(['pertama', 'kedua']);
    expect(groupTexts(y, group.id)).toEqual(['pertama', 'kedua', 'ketiga']);
    // The added member got Baileys' sender key with its first message and decrypted it.
    expect(groupTexts(z, group.id)).toEqual(['kedua', 'ketiga']);
  });

  test('an invite code lets another account see and join the group; a revoked code no longer works; leaving is told to the others', async () => {
    const [a, b] = ['6286600000006', '6286600000007'];
    const owner = await linkClient(simulator, a, track);
    const joiner = await linkClient(simulator, b, track);
    const group = await owner.sock.groupCreate('Undangan', [pn('6289920000008')]);
    const code = await owner.sock.groupInviteCode(group.id);
    expect(code).toMatch(/^[\w-]{22}$/);
    expect((await joiner.sock.groupGetInviteInfo(code!)).subject).toBe('Undangan');

    const joined = owner.next('group-participants.update', (u) => u.action === 'add');
    expect(await joiner.sock.groupAcceptInvite(code!)).toBe(group.id);
    expect(await joined).toMatchObject({ author: lidIn(group.id, b), participants: [{ phoneNumber: pn(b) }] });

    const revoked = await owner.sock.groupRevokeInvite(group.id);
    expect(revoked).not.toBe(code);
    // Already a member: the new code answers with the group and changes nothing.
    await expect(joiner.sock.groupAcceptInvite(revoked!)).resolves.toBe(group.id);
    expect(simulator.group(group.id).members).toHaveLength(3);
    const left = owner.next('group-participants.update', (u) => u.action === 'remove');
    const leaver = lidIn(group.id, b);
    await joiner.sock.groupLeave(group.id);
    expect(await left).toMatchObject({ author: leaver, participants: [{ id: leaver, phoneNumber: pn(b) }] });
    await expect(joiner.sock.groupAcceptInvite(code!)).rejects.toMatchObject({ data: 404 });
    await expect(joiner.sock.groupMetadata(group.id)).rejects.toMatchObject({ data: 403 });
    expect(await joiner.sock.groupAcceptInvite(revoked!)).toBe(group.id);
  });
});

describe('contacts managing a group with the Baileys account in it', () => {
  test("a contact creates a group with Baileys' account, adds and removes members, changes the subject; Baileys hears each from the contact", async () => {
    const [me, boss, other] = ['6286600000008', '6289920000009', '6289920000010'];
    const client = await linkClient(simulator, me, track);
    const upserted = client.next('groups.upsert');
    const { id, participants } = simulator.createGroup(boss, 'Dari Bos', [me, other]);
    expect(participants).toEqual([
      { phone: me, status: 200 },
      { phone: other, status: 200 },
    ]);
    const [created] = await upserted;
    expect(created).toMatchObject({ id, subject: 'Dari Bos', ownerPn: pn(boss), authorPn: pn(boss) });
    expect(phones(created!.participants)).toEqual([pn(boss), pn(me), pn(other)]);

    const subject = client.next('groups.update', (updates) => updates.some((u) => u.subject));
    simulator.setGroupSubject(id, boss, 'Ganti Nama');
    expect((await subject)[0]).toMatchObject({ subject: 'Ganti Nama', author: lidIn(id, boss) });

    // The boss's post reaches Baileys; after removing `other` the boss rotates its key and hands the new one again.
    const first = simulator.events.waitFor('group-message-sent', (m) => m.group === id);
    const upsert = client.next('messages.upsert', ({ messages }) => messages.some((m) => m.message?.conversation === 'halo'));
    await simulator.groupSend(id, boss, 'halo');
    await upsert;
    expect(await first).toMatchObject({ distributions: 1 });
    const removed = client.next('group-participants.update', (u) => u.action === 'remove');
    expect(simulator.groupParticipants(id, boss, 'remove', [other, '6289920000099'])).toEqual([
      { phone: other, status: 200 },
      { phone: '6289920000099', status: 404 },
    ]);
    expect(await removed).toMatchObject({ author: lidIn(id, boss), participants: [{ phoneNumber: pn(other) }] });
    const second = simulator.events.waitFor('group-message-sent', (m) => m.group === id);
    const again = client.next('messages.upsert', ({ messages }) => messages.some((m) => m.message?.conversation === 'kunci baru'));
    await simulator.groupSend(id, boss, 'kunci baru');
    await again;
    expect(await second).toMatchObject({ distributions: 1 });

    const kicked = client.next('group-participants.update', (u) => u.action === 'remove');
    simulator.groupParticipants(id, boss, 'remove', [me]);
    expect((await kicked).participants).toMatchObject([{ phoneNumber: pn(me) }]);
    await expect(client.sock.groupMetadata(id)).rejects.toMatchObject({ data: 403 });
  });

  test('the control API manages groups with 4xx JSON errors for bad input, unknown groups and refused actions', async () => {
    const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
      const response = await fetch(`${simulator.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: response.status, json: await response.json() };
    };
    const [boss, m] = ['6289920000011', '6289920000012'];
    const created = await call('POST', '/control/groups', { creator: boss, subject: 'Lewat HTTP', participants: [m] });
    expect(created).toMatchObject({ status: 200, json: { id: expect.stringMatching(/@g\.us$/), participants: [{ phone: m, status: 200 }] } });
    const id = encodeURIComponent(created.json.id);
    expect((await call('GET', `/control/groups/${id}`)).json).toMatchObject({ subject: 'Lewat HTTP', members: [{ phone: boss, role: 'superadmin' }, { phone: m, role: 'member' }] });
    expect((await call('POST', `/control/groups/${id}/subject`, { by: m, subject: 'Anggota boleh' })).status).toBe(200);
    expect((await call('POST', `/control/groups/${id}/participants`, { by: m, action: 'add', participants: ['6289920000013'] }))).toMatchObject({ status: 409, json: { error: 'not-authorized' } });
    expect((await call('POST', `/control/groups/${id}/participants`, { by: boss, action: 'kick', participants: [m] })).status).toBe(400);
    expect((await call('POST', `/control/groups/${id}/participants`, { by: boss, action: 'promote', participants: [m] })).json).toEqual({ participants: [{ phone: m, status: 200 }] });
    expect((await call('GET', '/control/groups/120363000000000077')).status).toBe(404);
    expect((await call('POST', '/control/groups', { creator: boss, subject: '', participants: [] })).status).toBe(400);
    expect((await call('POST', '/control/numbers/abc', { onWhatsApp: false })).status).toBe(400);
    expect(await call('POST', `/control/numbers/6289920000014`, { onWhatsApp: false })).toEqual({ status: 200, json: { ok: true } });
    expect((await call('POST', `/control/groups/${id}/participants`, { by: boss, action: 'add', participants: ['6289920000014'] })).json).toEqual({ participants: [{ phone: '6289920000014', status: 404 }] });
    expect((await call('GET', `/control/groups/${id}`)).json.subject).toBe('Anggota boleh');
  });
});
