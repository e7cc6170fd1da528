// Groups end to end: the API in workerd, the connector process, real Baileys and the simulator, down to
// Turso's messages and events tables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import { newPhone, pairedSession, rows, startSystem, type System } from './harness.ts';

let system: System;

beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system?.close();
});

describe('groups through the API', () => {
  it('creates, reads, changes and leaves a group, sends to it and receives from it, and stores each event', async () => {
    const { api, stack, simulator } = system;
    const { sessionId, apiKey } = await pairedSession(system, newPhone());
    const [c1, c2, c3] = [newPhone(), newPhone(), newPhone()];
    const call = (method: string, path: string, body?: unknown) => api(method, path, { key: apiKey, ...(body === undefined ? {} : { body }) });

    const created = await call('POST', '/api/groups', { subject: 'Toko', participants: [c1, c2] });
    expect(created).toMatchObject({ status: 201, json: { success: true, group: { subject: 'Toko', size: 3 } } });
    const groupId: string = created.json.group.id;
    const bare = groupId.replace('@g.us', '');
    expect((await call('GET', '/api/groups')).json.groups).toContainEqual(expect.objectContaining({ id: groupId, subject: 'Toko' }));
    const read = await call('GET', `/api/groups/${bare}`);
    expect(read.json.group.participants.map((p: { phone: string }) => p.phone).sort()).toEqual([c1, c2, read.json.group.owner].sort());

    const text = `halo @${c1}`;
    const stored = [c1, c2].map((to) => simulator.events.waitFor('message-stored', (m) => m.group === groupId && m.to === to && m.text === text, 20_000));
    const sent = await call('POST', '/api/messages', { to: bare, type: 'text', text: { body: text }, mentions: [c1] });
    expect(sent).toMatchObject({ status: 200, json: { result: { key: { remoteJid: groupId } } } });
    expect((await Promise.all(stored)).map((m) => m.id)).toEqual([sent.json.result.key.id, sent.json.result.key.id]);

    const { id: postId } = await simulator.groupSend(groupId, c1, 'balasan di grup');
    await eventually(async () => {
      const inbound = await rows(stack, "SELECT remote_jid, remote_phone, text FROM messages WHERE session_id = ? AND direction = 'in' AND provider_message_id = ?", [sessionId, postId]);
      expect(inbound).toEqual([{ remote_jid: groupId, remote_phone: c1, text: 'balasan di grup' }]);
    });
    const outbound = await rows(stack, "SELECT remote_jid, remote_phone FROM messages WHERE session_id = ? AND direction = 'out' AND provider_message_id = ?", [sessionId, sent.json.result.key.id]);
    expect(outbound).toEqual([{ remote_jid: groupId, remote_phone: null }]);

    const added = await call('POST', `/api/groups/${groupId}/participants`, { action: 'add', participants: [c3] });
    expect(added.json.results).toEqual([{ phone: c3, status: 200, outcome: 'OK' }]);
    expect((await call('PATCH', `/api/groups/${bare}`, { subject: 'Toko Baru', announce: true })).json.group).toMatchObject({ subject: 'Toko Baru', announce: true });
    expect((await call('GET', `/api/groups/${groupId}/invite`)).json.link).toMatch(/^https:\/\/chat\.whatsapp\.com\//);
    expect(await call('POST', `/api/groups/${bare}/leave`)).toMatchObject({ status: 200, json: { groupId } });
    expect(await call('GET', `/api/groups/${bare}`)).toMatchObject({ status: 404, json: { code: 'GROUP_NOT_FOUND' } });

    await eventually(async () => {
      const events = await rows(stack, "SELECT name, payload FROM events WHERE session_id = ? AND name LIKE 'group.%' ORDER BY rowid", [sessionId]);
      expect(events.map((e) => [e.name, JSON.parse(String(e.payload))])).toEqual([
        ['group.joined', expect.objectContaining({ group: expect.objectContaining({ id: groupId, subject: 'Toko' }) })],
        ['group.participants', expect.objectContaining({ groupId, action: 'add', participants: [{ phone: c3 }] })],
        ['group.updated', expect.objectContaining({ groupId, subject: 'Toko Baru', announce: true })],
        ['group.left', expect.objectContaining({ groupId })],
      ]);
    });
    const received = await rows(stack, "SELECT payload FROM events WHERE session_id = ? AND name = 'message.received'", [sessionId]);
    expect(received.map((e) => JSON.parse(String(e.payload)))).toContainEqual(expect.objectContaining({ from: c1, chat: { type: 'group', id: groupId, subject: 'Toko' } }));
  }, 120_000);
});
