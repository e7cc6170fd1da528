// Every message kind both ways between real Baileys and simulated contacts, presence both ways, and what
// the directory says of a number (not on WhatsApp, profile picture).
import { createHash } from 'node:crypto';
import { decryptPollVote, type WAMessage } from '@whiskeysockets/baileys';
import { describe, expect, test } from 'vitest';
import type { Simulator } from './server.ts';
import { linkClient, type TestClient } from './test-client.ts';
import { useSimulator } from './test-fixture.ts';

let simulator: Simulator;
const track = useSimulator((started) => (simulator = started));

const jid = (phone: string) => `${phone}@s.whatsapp.net`;

function upserted(client: TestClient, match: (m: WAMessage) => boolean): Promise<WAMessage> {
  return client.next('messages.upsert', ({ messages }) => messages.some(match)).then(({ messages }) => messages.find(match)!);
}

describe('what a device sends, as the contact has it', () => {
  test('the inbox shows each kind with its fields: reply, location, contacts, poll, reaction, edit, revoke', async () => {
    const phone = '6282300000001';
    const contact = '6289300000001';
    const client = await linkClient(simulator, phone, track);
    const first = await client.sock.sendMessage(jid(contact), { text: 'first' });
    // Baileys writes the id of an edit or revoke into the key it is given: keep the original's.
    const firstId = first!.key.id!;
    await simulator.events.waitFor('message-stored', (m) => m.id === firstId);
    const sends = [
      await client.sock.sendMessage(jid(contact), { text: 'a reply' }, { quoted: first! }),
      await client.sock.sendMessage(jid(contact), { location: { degreesLatitude: -6.2, degreesLongitude: 106.8, name: 'Monas' } }),
      await client.sock.sendMessage(jid(contact), {
        contacts: { displayName: 'Budi', contacts: [{ vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Budi\nTEL;waid=628111:+628111\nEND:VCARD' }] },
      }),
      await client.sock.sendMessage(jid(contact), { poll: { name: 'Lunch?', values: ['nasi', 'mie'], selectableCount: 1 } }),
      await client.sock.sendMessage(jid(contact), { react: { text: '👍', key: { ...first!.key } } }),
      await client.sock.sendMessage(jid(contact), { text: 'first, edited', edit: { ...first!.key } }),
      await client.sock.sendMessage(jid(contact), { delete: { ...first!.key } }),
    ];
    const last = sends.at(-1)!.key.id!;
    await simulator.events.waitFor('message-stored', (m) => m.id === last);
    const inbox = simulator.inbox(contact);
    const byId = (id: string | null | undefined) => inbox.find((m) => m.id === id)!;
    expect(byId(sends[0]!.key.id)).toMatchObject({ kind: 'text', text: 'a reply', replyTo: firstId });
    expect(byId(sends[1]!.key.id)).toMatchObject({ kind: 'location', content: { locationMessage: { degreesLatitude: -6.2, degreesLongitude: 106.8, name: 'Monas' } } });
    expect(byId(sends[2]!.key.id)).toMatchObject({ kind: 'contacts', content: { contactMessage: { vcard: expect.stringContaining('FN:Budi') } } });
    expect(byId(sends[3]!.key.id)).toMatchObject({ kind: 'poll', content: { pollCreationMessageV3: { name: 'Lunch?', options: [{ optionName: 'nasi' }, { optionName: 'mie' }] } } });
    expect(byId(sends[4]!.key.id)).toMatchObject({ kind: 'reaction', content: { reactionMessage: { text: '👍', key: { id: firstId } } } });
    expect(byId(sends[5]!.key.id)).toMatchObject({ kind: 'edit', text: 'first, edited', content: { protocolMessage: { key: { id: firstId } } } });
    expect(byId(sends[6]!.key.id)).toMatchObject({ kind: 'revoke', content: { protocolMessage: { key: { id: firstId } } } });
  });
});

describe('what a contact sends, as Baileys has it', () => {
  test('a reply, a location and contacts arrive as their protos, the reply quoting the original', async () => {
    const phone = '6282300000002';
    const contact = '6289300000002';
    const client = await linkClient(simulator, phone, track);
    const original = await client.sock.sendMessage(jid(contact), { text: 'are you there?' });
    await simulator.events.waitFor('message-stored', (m) => m.id === original!.key.id);
    const replied = upserted(client, (m) => !!m.message?.extendedTextMessage?.contextInfo);
    const reply = await simulator.contactSendContent(contact, phone, { type: 'text', text: 'yes', replyTo: original!.key.id! });
    const got = await replied;
    expect(got.key.id).toBe(reply.id);
    expect(got.message?.extendedTextMessage).toMatchObject({ text: 'yes', contextInfo: { stanzaId: original!.key.id, participant: jid(phone), quotedMessage: { extendedTextMessage: { text: 'are you there?' } } } });

    const located = upserted(client, (m) => !!m.message?.locationMessage);
    await simulator.contactSendContent(contact, phone, { type: 'location', latitude: -6.17, longitude: 106.82, name: 'Monas', address: 'Jakarta' });
    expect((await located).message?.locationMessage).toMatchObject({ degreesLatitude: -6.17, degreesLongitude: 106.82, name: 'Monas', address: 'Jakarta' });

    const carded = upserted(client, (m) => !!m.message?.contactsArrayMessage);
    await simulator.contactSendContent(contact, phone, { type: 'contacts', contacts: [{ name: 'Ani', phone: '628111' }, { name: 'Budi', phone: '628222' }] });
    const cards = (await carded).message!.contactsArrayMessage!.contacts!;
    expect(cards.map((c) => c.displayName)).toEqual(['Ani', 'Budi']);
    expect(cards[0]!.vcard).toContain('waid=628111');
  });

  test('a reaction, an edit and a revoke reach Baileys as its reaction and update events', async () => {
    const phone = '6282300000003';
    const contact = '6289300000003';
    const client = await linkClient(simulator, phone, track);
    const mine = await client.sock.sendMessage(jid(contact), { text: 'react to this' });
    await simulator.events.waitFor('message-stored', (m) => m.id === mine!.key.id);
    const reacted = client.next('messages.reaction');
    await simulator.contactSendContent(contact, phone, { type: 'reaction', messageId: mine!.key.id!, emoji: '❤️' });
    const [reaction] = await reacted;
    expect(reaction).toMatchObject({ key: { id: mine!.key.id, fromMe: true }, reaction: { text: '❤️' } });

    const theirs = await simulator.contactSendContent(contact, phone, { type: 'text', text: 'typo hree' });
    const edited = client.next('messages.update', (updates) => updates.some((u) => !!u.update.message?.editedMessage));
    await simulator.contactSendContent(contact, phone, { type: 'edit', messageId: theirs.id, text: 'typo here' });
    const [edit] = (await edited).filter((u) => u.update.message?.editedMessage);
    expect(edit!.key.id).toBe(theirs.id);
    expect(edit!.update.message!.editedMessage!.message).toMatchObject({ conversation: 'typo here' });

    const revoked = client.next('messages.update', (updates) => updates.some((u) => u.update.messageStubType === 1));
    await simulator.contactSendContent(contact, phone, { type: 'revoke', messageId: theirs.id });
    const [revoke] = (await revoked).filter((u) => u.update.messageStubType === 1);
    expect(revoke!.key.id).toBe(theirs.id);
  });

  test("a contact's poll arrives with its secret, and its vote on the device's poll decrypts with Baileys' decryptPollVote", async () => {
    const phone = '6282300000004';
    const contact = '6289300000004';
    const client = await linkClient(simulator, phone, track);
    const polled = upserted(client, (m) => !!m.message?.pollCreationMessage);
    await simulator.contactSendContent(contact, phone, { type: 'poll', name: 'When?', options: ['mon', 'tue', 'wed'], selectableCount: 2 });
    const theirPoll = await polled;
    expect(theirPoll.message?.pollCreationMessage).toMatchObject({ name: 'When?', selectableOptionsCount: 2 });
    expect(theirPoll.message?.messageContextInfo?.messageSecret).toHaveLength(32);

    const poll = await client.sock.sendMessage(jid(contact), { poll: { name: 'Lunch?', values: ['nasi', 'mie'], selectableCount: 1 } });
    await simulator.events.waitFor('message-stored', (m) => m.id === poll!.key.id);
    const voted = upserted(client, (m) => !!m.message?.pollUpdateMessage);
    await simulator.contactSendContent(contact, phone, { type: 'poll-vote', pollId: poll!.key.id!, options: ['mie'] });
    const vote = (await voted).message!.pollUpdateMessage!;
    expect(vote.pollCreationMessageKey).toMatchObject({ id: poll!.key.id, fromMe: true });
    const decrypted = decryptPollVote(vote.vote!, {
      pollEncKey: poll!.message!.messageContextInfo!.messageSecret!,
      pollCreatorJid: jid(phone),
      pollMsgId: poll!.key.id!,
      voterJid: jid(contact),
    });
    expect(decrypted.selectedOptions.map((o) => Buffer.from(o).toString('hex'))).toEqual([createHash('sha256').update('mie').digest('hex')]);
  });

  test('a message naming an id not in the chat is refused', async () => {
    const phone = '6282300000005';
    await linkClient(simulator, phone, track);
    await expect(simulator.contactSendContent('6289300000005', phone, { type: 'reaction', messageId: '3EB0NOSUCHMESSAGE', emoji: '👍' })).rejects.toThrow(/no message/);
  });
});

describe('the directory and presence', () => {
  test("onWhatsApp leaves out a number marked not on WhatsApp; a picture URL is answered, none is a 404", async () => {
    const client = await linkClient(simulator, '6282300000006', track);
    simulator.setContact('6289300000060', { registered: false });
    simulator.setContact('6289300000061', { pictureUrl: 'https://pps.example/61.jpg' });
    const found = await client.sock.onWhatsApp('+6289300000060', '+6289300000061');
    expect(found?.map((r) => r.jid)).toEqual([jid('6289300000061')]);
    expect(await client.sock.profilePictureUrl(jid('6289300000061'), 'image')).toBe('https://pps.example/61.jpg');
    await expect(client.sock.profilePictureUrl(jid('6289300000062'), 'image')).rejects.toMatchObject({ message: 'item-not-found', data: 404 });
  });

  test("a device's chatstates reach the server; a subscribed device sees the contact's availability and typing", async () => {
    const phone = '6282300000007';
    const contact = '6289300000007';
    const client = await linkClient(simulator, phone, track);
    const typing = simulator.events.waitFor('presence-received', (p) => p.to === contact && p.state === 'recording');
    await client.sock.sendPresenceUpdate('recording', jid(contact));
    expect(await typing).toMatchObject({ from: phone });

    simulator.contactPresence(contact, phone, 'available');
    const first = client.next('presence.update', (u) => u.id === jid(contact));
    await client.sock.presenceSubscribe(jid(contact));
    expect((await first).presences[jid(contact)]).toMatchObject({ lastKnownPresence: 'available' });
    const composing = client.next('presence.update', (u) => u.presences[jid(contact)]?.lastKnownPresence === 'composing');
    expect(simulator.contactPresence(contact, phone, 'composing')).toEqual({ devices: 1 });
    await composing;
    expect(simulator.contactPresence('6289300000070', phone, 'composing')).toEqual({ devices: 0 });
  });
});
