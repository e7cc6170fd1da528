// What contacts send besides text, as events through the real connector and real Baileys: location, contacts
// and polls as message.received with their fields, replies with replyTo, reactions, edits, deletes, decrypted
// poll votes and presence, each naming the contact's phone.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { command, hubEvent, pair, type Stack, useConnectorStack } from './test-stack.ts';

let simulator: Simulator;
let stack: Stack;

useConnectorStack('kabar-connector-incoming-', (world) => ({ simulator, stack } = world), { simulator: { receiptDelayMaxMs: 0 } });

const phone = '6281100000901';
const contact = '6281900000901';

beforeAll(async () => {
  await pair(stack, simulator, 'incoming', phone);
});

async function sendText(text: string): Promise<string> {
  const result = await command(stack.hub, { name: 'send.message', sessionId: 'incoming', to: contact, message: { type: 'text', text } });
  if (!result.ok) throw new Error(result.error.message);
  const id = (result.data as { messageId: string }).messageId;
  if (!simulator.inbox(contact).some((m) => m.id === id)) await simulator.events.waitFor('message-stored', (m) => m.id === id);
  return id;
}

describe('receiving every kind', () => {
  it('reports a location, contacts and a poll as message.received with their fields', async () => {
    const { id: location } = await simulator.contactSendContent(contact, phone, { type: 'location', latitude: -6.17, longitude: 106.82, name: 'Monas', address: 'Jakarta' });
    expect(await hubEvent(stack.hub, 'incoming', 'message.received', (e) => e.messageId === location)).toMatchObject({
      from: contact,
      type: 'location',
      location: { latitude: -6.17, longitude: 106.82, name: 'Monas', address: 'Jakarta' },
    });
    const { id: cards } = await simulator.contactSendContent(contact, phone, { type: 'contacts', contacts: [{ name: 'Ani', phone: '628111' }, { name: 'Budi', phone: '628222' }] });
    const got = await hubEvent(stack.hub, 'incoming', 'message.received', (e) => e.messageId === cards);
    expect(got).toMatchObject({ from: contact, type: 'contacts', text: 'Ani, Budi' });
    expect(got.contacts?.map((c) => c.name)).toEqual(['Ani', 'Budi']);
    expect(got.contacts?.[1]?.vcard).toContain('waid=628222');
    const { id: poll } = await simulator.contactSendContent(contact, phone, { type: 'poll', name: 'When?', options: ['mon', 'tue'], selectableCount: 0 });
    expect(await hubEvent(stack.hub, 'incoming', 'message.received', (e) => e.messageId === poll)).toMatchObject({
      from: contact,
      type: 'poll',
      poll: { name: 'When?', options: ['mon', 'tue'], selectableCount: 0 },
    });
  });

  it('reports a reply with replyTo, and a reaction to our message with its target', async () => {
    const mine = await sendText('your order shipped');
    const { id: reply } = await simulator.contactSendContent(contact, phone, { type: 'text', text: 'thanks!', replyTo: mine });
    expect(await hubEvent(stack.hub, 'incoming', 'message.received', (e) => e.messageId === reply)).toMatchObject({ from: contact, text: 'thanks!', replyTo: mine });
    const { id: reaction } = await simulator.contactSendContent(contact, phone, { type: 'reaction', messageId: mine, emoji: '❤️' });
    expect(await hubEvent(stack.hub, 'incoming', 'message.reaction', (e) => e.messageId === reaction)).toMatchObject({ from: contact, targetId: mine, emoji: '❤️' });
    const { id: removed } = await simulator.contactSendContent(contact, phone, { type: 'reaction', messageId: mine, emoji: '' });
    expect(await hubEvent(stack.hub, 'incoming', 'message.reaction', (e) => e.messageId === removed)).toMatchObject({ targetId: mine, emoji: '' });
  });

  it("reports a contact's edit and delete of its own message", async () => {
    const { id } = await simulator.contactSendContent(contact, phone, { type: 'text', text: 'see you at 3' });
    await hubEvent(stack.hub, 'incoming', 'message.received', (e) => e.messageId === id);
    await simulator.contactSendContent(contact, phone, { type: 'edit', messageId: id, text: 'see you at 4' });
    expect(await hubEvent(stack.hub, 'incoming', 'message.edited', (e) => e.messageId === id)).toMatchObject({ from: contact, text: 'see you at 4' });
    await simulator.contactSendContent(contact, phone, { type: 'revoke', messageId: id });
    expect(await hubEvent(stack.hub, 'incoming', 'message.revoked', (e) => e.messageId === id)).toMatchObject({ from: contact });
  });

  it("decrypts a contact's vote on our poll into the chosen options", async () => {
    const result = await command(stack.hub, { name: 'send.message', sessionId: 'incoming', to: contact, message: { type: 'poll', name: 'Lunch?', options: ['nasi', 'mie', 'sate'], selectableCount: 2 } });
    if (!result.ok) throw new Error(result.error.message);
    const pollId = (result.data as { messageId: string }).messageId;
    if (!simulator.inbox(contact).some((m) => m.id === pollId)) await simulator.events.waitFor('message-stored', (m) => m.id === pollId);
    await simulator.contactSendContent(contact, phone, { type: 'poll-vote', pollId, options: ['sate', 'nasi'] });
    const vote = await hubEvent(stack.hub, 'incoming', 'poll.vote', (e) => e.pollId === pollId);
    expect(vote.from).toBe(contact);
    expect([...vote.options].sort()).toEqual(['nasi', 'sate']);
  });

  it('reports presence of a subscribed chat: online, then typing', async () => {
    const watched = '6281900000902';
    simulator.contactPresence(watched, phone, 'available');
    expect(await command(stack.hub, { name: 'chat.subscribe', sessionId: 'incoming', chat: watched })).toMatchObject({ ok: true });
    expect(await hubEvent(stack.hub, 'incoming', 'presence.update', (e) => e.from === watched)).toMatchObject({ state: 'available' });
    expect(simulator.contactPresence(watched, phone, 'composing')).toEqual({ devices: 1 });
    await hubEvent(stack.hub, 'incoming', 'presence.update', (e) => e.from === watched && e.state === 'typing');
  });
});
