// Every kind a session sends and every chat action, through the real connector and real Baileys against the
// simulator: what the contact gets, and each refusal with its command error code.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command, OutgoingMessage } from '../shared/protocol.ts';
import type { Simulator } from '../simulator/server.ts';
import { command, hubEvent, pair, startStack, type Stack, useSimulatorWorld } from './test-stack.ts';

let dir: string;
let simulator: Simulator;
let stack: Stack;

useSimulatorWorld('kabar-connector-kinds-', (world) => ({ simulator, dir } = world), { receiptDelayMaxMs: 0 });

beforeAll(async () => {
  stack = await startStack(simulator.wsUrl, join(dir, 'main.db'));
});

afterAll(async () => {
  await stack?.close();
});

const send = (sessionId: string, to: string, message: OutgoingMessage, replyTo?: string) =>
  command(stack.hub, { name: 'send.message', sessionId, to, message, ...(replyTo ? { replyTo } : {}) });
const act = (c: Command) => command(stack.hub, c);

async function sentId(result: Awaited<ReturnType<typeof command>>): Promise<string> {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return (result.data as { messageId: string }).messageId;
}

/** Resolves once the contact has the message (it may have it before the command's result arrives). */
async function stored(id: string, contact = '6281900000801') {
  if (!simulator.inbox(contact).some((m) => m.id === id)) await simulator.events.waitFor('message-stored', (m) => m.id === id);
  return id;
}

describe('sending every kind', () => {
  const phone = '6281100000801';
  const contact = '6281900000801';

  it('sends a location, contacts and a poll that the contact receives as such', async () => {
    await pair(stack, simulator, 'kinds', phone);
    const location = await stored(await sentId(await send('kinds', contact, { type: 'location', latitude: -6.2, longitude: 106.8, name: 'Monas', address: 'Jakarta' })));
    const cards = await stored(
      await sentId(await send('kinds', contact, { type: 'contacts', contacts: [{ name: 'Ani', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ani\nTEL;waid=628111:+628111\nEND:VCARD' }] })),
    );
    const poll = await stored(await sentId(await send('kinds', contact, { type: 'poll', name: 'Lunch?', options: ['nasi', 'mie'], selectableCount: 1 })));
    const inbox = simulator.inbox(contact);
    expect(inbox.find((m) => m.id === location)).toMatchObject({ kind: 'location', content: { locationMessage: { degreesLatitude: -6.2, degreesLongitude: 106.8, name: 'Monas', address: 'Jakarta' } } });
    expect(inbox.find((m) => m.id === cards)).toMatchObject({ kind: 'contacts', content: { contactMessage: { displayName: 'Ani', vcard: expect.stringContaining('waid=628111') } } });
    expect(inbox.find((m) => m.id === poll)).toMatchObject({ kind: 'poll', content: { pollCreationMessageV3: { name: 'Lunch?', options: [{ optionName: 'nasi' }, { optionName: 'mie' }] } } });
  });

  it("replies to a contact's message and reacts to it; an unknown id is MESSAGE_NOT_FOUND", async () => {
    const { id: theirs } = await simulator.contactSend(contact, phone, 'order 42 please');
    await hubEvent(stack.hub, 'kinds', 'message.received', (e) => e.messageId === theirs);
    const reply = await stored(await sentId(await send('kinds', contact, { type: 'text', text: 'on its way' }, theirs)));
    const reaction = await stored(await sentId(await send('kinds', contact, { type: 'reaction', messageId: theirs, emoji: '👍' })));
    const inbox = simulator.inbox(contact);
    expect(inbox.find((m) => m.id === reply)).toMatchObject({ kind: 'text', text: 'on its way', replyTo: theirs });
    expect(inbox.find((m) => m.id === reaction)).toMatchObject({ kind: 'reaction', content: { reactionMessage: { text: '👍', key: { id: theirs } } } });

    const unknown = await send('kinds', contact, { type: 'reaction', messageId: '3EB0NOSUCHMESSAGE00', emoji: '👍' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'MESSAGE_NOT_FOUND' } });
    const unknownReply = await send('kinds', contact, { type: 'text', text: 'x' }, '3EB0NOSUCHMESSAGE00');
    expect(unknownReply).toMatchObject({ ok: false, error: { code: 'MESSAGE_NOT_FOUND' } });
  });

  it('edits its own text within the window and revokes it; refuses an edit after 15 minutes and of a received message', async () => {
    const mine = await stored(await sentId(await send('kinds', contact, { type: 'text', text: 'meet at 3' })));
    const edit = await act({ name: 'message.edit', sessionId: 'kinds', messageId: mine, text: 'meet at 4' });
    expect(edit).toMatchObject({ ok: true, data: { messageId: mine } });
    if (!simulator.inbox(contact).some((m) => m.text === 'meet at 4')) await simulator.events.waitFor('message-stored', (m) => m.to === contact && m.text === 'meet at 4');
    expect(simulator.inbox(contact).find((m) => m.text === 'meet at 4')).toMatchObject({ kind: 'edit', content: { protocolMessage: { key: { id: mine } } } });

    const revoke = await act({ name: 'message.revoke', sessionId: 'kinds', messageId: mine });
    expect(revoke).toMatchObject({ ok: true });
    const revoked = () => simulator.inbox(contact).some((m) => m.kind === 'revoke' && (m.content as { protocolMessage?: { key?: { id?: string } } }).protocolMessage?.key?.id === mine);
    if (!revoked()) await simulator.events.waitFor('message-stored', () => revoked());

    const old = await stored(await sentId(await send('kinds', contact, { type: 'text', text: 'too late to change' })));
    await stack.db.execute({ sql: 'UPDATE recent_message SET at = at - ? WHERE message_id = ?', args: [16 * 60_000, old] });
    expect(await act({ name: 'message.edit', sessionId: 'kinds', messageId: old, text: 'changed' })).toMatchObject({ ok: false, error: { code: 'EDIT_WINDOW_CLOSED' } });

    const { id: theirs } = await simulator.contactSend(contact, phone, 'not yours to edit');
    await hubEvent(stack.hub, 'kinds', 'message.received', (e) => e.messageId === theirs);
    expect(await act({ name: 'message.edit', sessionId: 'kinds', messageId: theirs, text: 'x' })).toMatchObject({ ok: false, error: { code: 'NOT_EDITABLE' } });
    expect(await act({ name: 'message.revoke', sessionId: 'kinds', messageId: theirs })).toMatchObject({ ok: false, error: { code: 'NOT_EDITABLE' } });
  });

  it('marks a chat read (a given message, else the latest), shows typing and subscribes to presence', async () => {
    const { id: first } = await simulator.contactSend(contact, phone, 'first');
    const { id: second } = await simulator.contactSend(contact, phone, 'second');
    await hubEvent(stack.hub, 'kinds', 'message.received', (e) => e.messageId === second);
    const readFirst = simulator.events.waitFor('receipt-received', (r) => r.id === first && r.type === 'read');
    expect(await act({ name: 'chat.read', sessionId: 'kinds', chat: contact, messageId: first })).toMatchObject({ ok: true, data: { done: true, messageId: first } });
    await readFirst;
    const readLatest = simulator.events.waitFor('receipt-received', (r) => r.id === second && r.type === 'read');
    expect(await act({ name: 'chat.read', sessionId: 'kinds', chat: contact })).toMatchObject({ ok: true, data: { messageId: second } });
    await readLatest;
    expect(await act({ name: 'chat.read', sessionId: 'kinds', chat: '6281900000899' })).toMatchObject({ ok: false, error: { code: 'MESSAGE_NOT_FOUND' } });

    const typing = simulator.events.waitFor('presence-received', (p) => p.to === contact && p.state === 'composing');
    expect(await act({ name: 'chat.presence', sessionId: 'kinds', chat: contact, state: 'typing' })).toMatchObject({ ok: true });
    expect(await typing).toMatchObject({ from: phone });
    const subscribed = simulator.events.waitFor('presence-received', (p) => p.to === contact && p.state === 'subscribe');
    expect(await act({ name: 'chat.subscribe', sessionId: 'kinds', chat: contact })).toMatchObject({ ok: true });
    await subscribed;
  });

  it('checks numbers: registered ones with LID and picture, unregistered ones exists:false', async () => {
    simulator.setContact('6281900000811', { pictureUrl: 'https://pps.example/811.jpg' });
    simulator.setContact('6281900000812', { registered: false });
    const result = await act({ name: 'contacts.check', sessionId: 'kinds', phones: ['6281900000811', '6281900000812'] });
    expect(result).toMatchObject({
      ok: true,
      data: {
        contacts: [
          { exists: true, phone: '6281900000811', jid: '6281900000811@s.whatsapp.net', lid: expect.stringMatching(/^\d+$/), pictureUrl: 'https://pps.example/811.jpg' },
          { exists: false, phone: '6281900000812', jid: '6281900000812@s.whatsapp.net' },
        ],
      },
    });
  });

  it('replies to a message sent before the connector restarted', async () => {
    const before = await stored(await sentId(await send('kinds', contact, { type: 'text', text: 'before the restart' })));
    await stack.close();
    stack = await startStack(simulator.wsUrl, join(dir, 'main.db'), [{ sessionId: 'kinds', state: 'running', authEpoch: 0 }]);
    await hubEvent(stack.hub, 'kinds', 'connection.update', (e) => e.status === 'WORKING');
    const reply = await stored(await sentId(await send('kinds', contact, { type: 'text', text: 'after the restart' }, before)));
    expect(simulator.inbox(contact).find((m) => m.id === reply)).toMatchObject({
      replyTo: before,
      content: { extendedTextMessage: { contextInfo: { quotedMessage: { extendedTextMessage: { text: 'before the restart' } } } } },
    });
  });
});
