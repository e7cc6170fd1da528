// Every message kind and chat action end to end: the API in workerd, the connector process, real Baileys and
// the simulator. What the contact gets, what the session hears back, and that a session key reaches only its
// own session's messages and chats.
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import { newPhone, pairedSession, rows, startSystem, type System } from './harness.ts';

let system: System;

beforeAll(async () => {
  system = await startSystem({ simulator: { receiptDelayMaxMs: 0 } });
});
afterAll(async () => {
  await system?.close();
});

/** Resolves once the contact has the message (it may have it before the API answers). */
async function contactHas(contact: string, id: string) {
  const { simulator } = system;
  if (!simulator.inbox(contact).some((m) => m.id === id)) await simulator.events.waitFor('message-stored', (m) => m.id === id);
  return simulator.inbox(contact).find((m) => m.id === id)!;
}

describe('message kinds through the API', () => {
  it('sends a location, contacts, a poll, a reply and a reaction; a reaction to an unknown id is 404', async () => {
    const { api, simulator } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { apiKey } = await pairedSession(system, phone);
    const post = (body: Record<string, unknown>) => api('POST', '/api/messages', { key: apiKey, body: { to: contact, ...body } });

    const location = await post({ type: 'location', location: { latitude: -6.1754, longitude: 106.8272, name: 'Monas' } });
    expect(location.json.result).toMatchObject({ type: 'location' });
    expect(await contactHas(contact, location.json.result.key.id)).toMatchObject({ kind: 'location', content: { locationMessage: { degreesLatitude: -6.1754, name: 'Monas' } } });

    const cards = await post({ type: 'contacts', contacts: [{ name: 'Budi', phones: ['+62 812-1111-2222'] }] });
    expect(await contactHas(contact, cards.json.result.key.id)).toMatchObject({ kind: 'contacts', content: { contactMessage: { displayName: 'Budi', vcard: expect.stringContaining('waid=6281211112222') } } });

    const poll = await post({ type: 'poll', poll: { name: 'Lunch?', options: ['nasi', 'mie'] } });
    expect(await contactHas(contact, poll.json.result.key.id)).toMatchObject({ kind: 'poll' });

    const { id: theirs } = await simulator.contactSend(contact, phone, 'is my order ready?');
    const reply = await eventually(async () => {
      const answer = await post({ type: 'text', text: { body: 'yes, ready' }, replyTo: theirs });
      // The contact's message may not have reached the connector's store yet.
      expect(answer.status).toBe(200);
      return answer;
    });
    expect(await contactHas(contact, reply.json.result.key.id)).toMatchObject({ text: 'yes, ready', replyTo: theirs });

    const reaction = await post({ type: 'reaction', reaction: { messageId: theirs, emoji: '👍' } });
    expect(await contactHas(contact, reaction.json.result.key.id)).toMatchObject({ kind: 'reaction', content: { reactionMessage: { text: '👍', key: { id: theirs } } } });

    const unknown = await post({ type: 'reaction', reaction: { messageId: '3EB0DOESNOTEXIST000', emoji: '👍' } });
    expect([unknown.status, unknown.json.code]).toEqual([404, 'MESSAGE_NOT_FOUND']);
  });

  it("edits and deletes the session's own message; an edit after 15 minutes is 409", async () => {
    const { api, simulator, connector } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { apiKey } = await pairedSession(system, phone);
    const sent = await api('POST', '/api/messages', { key: apiKey, body: { to: contact, type: 'text', text: { body: 'meet at 3' } } });
    const id = sent.json.result.key.id as string;
    await contactHas(contact, id);

    const edited = await api('PATCH', `/api/messages/${id}`, { key: apiKey, body: { text: 'meet at 4' } });
    expect(edited.status).toBe(200);
    expect(edited.json.result.key).toMatchObject({ id, fromMe: true });
    await eventually(() => expect(simulator.inbox(contact).some((m) => m.kind === 'edit' && m.text === 'meet at 4')).toBe(true));

    const deleted = await api('DELETE', `/api/messages/${id}`, { key: apiKey });
    expect(deleted.status).toBe(200);
    await eventually(() => expect(simulator.inbox(contact).some((m) => m.kind === 'revoke')).toBe(true));

    const old = await api('POST', '/api/messages', { key: apiKey, body: { to: contact, type: 'text', text: { body: 'too late' } } });
    const oldId = old.json.result.key.id as string;
    await contactHas(contact, oldId);
    // Its send time moves back past the window in the connector's own store, as 16 minutes would.
    const local = createClient({ url: connector.dbUrl });
    try {
      await local.execute({ sql: 'UPDATE recent_message SET at = at - ? WHERE message_id = ?', args: [16 * 60_000, oldId] });
    } finally {
      local.close();
    }
    const late = await api('PATCH', `/api/messages/${oldId}`, { key: apiKey, body: { text: 'changed' } });
    expect([late.status, late.json.code]).toEqual([409, 'EDIT_WINDOW_CLOSED']);
  });

  it('checks registered and unregistered numbers, reads a chat and shows typing', async () => {
    const { api, simulator } = system;
    const phone = newPhone();
    const contact = newPhone();
    const absent = newPhone();
    const { apiKey } = await pairedSession(system, phone);
    simulator.setContact(absent, { registered: false });
    simulator.setContact(contact, { pictureUrl: 'https://pps.example/c.jpg' });

    const one = await api('GET', `/api/contacts/${contact}`, { key: apiKey });
    expect(one.json).toMatchObject({ success: true, exists: true, phone: contact, jid: `${contact}@s.whatsapp.net`, lid: expect.stringMatching(/^\d+$/), pictureUrl: 'https://pps.example/c.jpg' });
    const many = await api('POST', '/api/contacts/check', { key: apiKey, body: { phones: [contact, absent] } });
    expect(many.json.contacts).toEqual([expect.objectContaining({ phone: contact, exists: true }), { exists: false, phone: absent, jid: `${absent}@s.whatsapp.net` }]);

    const { id } = await simulator.contactSend(contact, phone, 'hello?');
    const read = simulator.events.waitFor('receipt-received', (r) => r.id === id && r.type === 'read');
    await eventually(async () => expect((await api('POST', `/api/chats/${contact}/read`, { key: apiKey, body: { messageId: id } })).status).toBe(200));
    await read;

    const typing = simulator.events.waitFor('presence-received', (p) => p.from === phone && p.to === contact && p.state === 'composing');
    expect((await api('POST', `/api/chats/${contact}/presence`, { key: apiKey, body: { state: 'typing' } })).status).toBe(200);
    await typing;
  });

  it("stores the contact's reaction and decrypted poll vote as events naming its phone", async () => {
    const { api, simulator, stack } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { sessionId, apiKey } = await pairedSession(system, phone);
    const poll = await api('POST', '/api/messages', { key: apiKey, body: { to: contact, type: 'poll', poll: { name: 'Lunch?', options: ['nasi', 'mie'] } } });
    const pollId = poll.json.result.key.id as string;
    await contactHas(contact, pollId);
    await simulator.contactSendContent(contact, phone, { type: 'reaction', messageId: pollId, emoji: '🔥' });
    await simulator.contactSendContent(contact, phone, { type: 'poll-vote', pollId, options: ['mie'] });
    const stored = await eventually(async () => {
      const found = await rows(stack, "SELECT name, payload FROM events WHERE session_id = ? AND name IN ('message.reaction', 'poll.vote') ORDER BY name", [sessionId]);
      expect(found).toHaveLength(2);
      return found.map((r) => JSON.parse(String(r.payload)));
    });
    expect(stored).toEqual([
      expect.objectContaining({ name: 'message.reaction', from: contact, targetId: pollId, emoji: '🔥' }),
      expect.objectContaining({ name: 'poll.vote', from: contact, pollId, options: ['mie'] }),
    ]);
  });

  it("a session key reaches only its own session's messages and chats", async () => {
    const { api, simulator } = system;
    const alice = await pairedSession(system, newPhone());
    const bob = await pairedSession(system, newPhone());
    const contact = newPhone();
    const sent = await api('POST', '/api/messages', { key: alice.apiKey, body: { to: contact, type: 'text', text: { body: "alice's" } } });
    const id = sent.json.result.key.id as string;
    await contactHas(contact, id);
    for (const [method, path, body] of [
      ['PATCH', `/api/messages/${id}`, { text: 'hijacked' }],
      ['DELETE', `/api/messages/${id}`, undefined],
      ['POST', `/api/chats/${contact}/read`, { messageId: id }],
    ] as const) {
      const answer = await api(method, path, { key: bob.apiKey, ...(body ? { body } : {}) });
      expect([answer.status, answer.json.code]).toEqual([404, 'MESSAGE_NOT_FOUND']);
    }
    const reaction = await api('POST', '/api/messages', { key: bob.apiKey, body: { to: contact, type: 'reaction', reaction: { messageId: id, emoji: '👎' } } });
    expect(reaction.status).toBe(404);
    expect(simulator.inbox(contact).filter((m) => m.kind !== 'text')).toEqual([]);
  });
});
