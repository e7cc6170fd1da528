// Contacts and receipts as WhatsApp sends them, through real Baileys: texts as extendedTextMessage and inside
// disappearing-message wrappers, push names, and receipts in lists, repeated and out of order. Each message
// is reported once, each status once and forward only.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { hubEvent, pair, sendText, sessionEvents, type Stack, WAIT_MS, useConnectorStack } from './test-stack.ts';

let simulator: Simulator;
let stack: Stack;
const phone = '6281100000801';

// Receipts at once and in order, so the last one's status proves the earlier ones were handled.
useConnectorStack('kabar-connector-shapes-', (world) => ({ simulator, stack } = world), { simulator: { receiptDelayMaxMs: 0 }, store: 'shapes.db' });

beforeAll(async () => {
  await pair(stack, simulator, 'shapes', phone);
});

describe('what contacts send', () => {
  it('reports an extendedTextMessage and a disappearing message once each, with the push name', async () => {
    const contact = '6281900000801';
    const extended = await simulator.contactSend(contact, phone, 'a link: https://example.com', { shape: 'extended', pushName: 'Budi' });
    const ephemeral = await simulator.contactSend(contact, phone, 'this disappears', { shape: 'ephemeral', pushName: 'Budi' });
    expect(await hubEvent(stack.hub, 'shapes', 'message.received', (e) => e.messageId === extended.id)).toMatchObject({
      from: contact,
      text: 'a link: https://example.com',
      pushName: 'Budi',
    });
    expect(await hubEvent(stack.hub, 'shapes', 'message.received', (e) => e.messageId === ephemeral.id)).toMatchObject({
      from: contact,
      text: 'this disappears',
      pushName: 'Budi',
    });
    const received = sessionEvents(stack.hub, 'shapes').filter((e) => e.name === 'message.received' && [extended.id, ephemeral.id].includes(e.messageId));
    expect(received).toHaveLength(2);
  });
});

describe('receipts as WhatsApp sends them', () => {
  it('reports each status once and in order from list receipts that repeat and arrive read-first', async () => {
    const contact = '6281900000802';
    const ids: string[] = [];
    for (const text of ['one', 'two', 'three']) {
      const stored = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.text === text, WAIT_MS);
      const result = await sendText(stack.hub, 'shapes', contact, text);
      if (!result.ok) throw new Error('send failed');
      await stored;
      ids.push(result.data.messageId);
    }
    simulator.receiptList(ids, 'read');
    simulator.receiptList(ids, 'read');
    simulator.receiptList([...ids].reverse(), 'delivered');
    for (const id of ids) await hubEvent(stack.hub, 'shapes', 'message.status', (e) => e.messageId === id && e.status === 'read');
    for (const id of ids) {
      const statuses = sessionEvents(stack.hub, 'shapes').flatMap((e) => (e.name === 'message.status' && e.messageId === id ? [e.status] : []));
      expect(statuses).toEqual(['sent', 'delivered', 'read']);
    }
  });
});

describe('a contact that reinstalls WhatsApp', () => {
  it('keeps messages flowing both ways under the new identity', async () => {
    const contact = '6281900000803';
    const before = await simulator.contactSend(contact, phone, 'before the reinstall');
    await hubEvent(stack.hub, 'shapes', 'message.received', (e) => e.messageId === before.id);
    const storedBefore = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.text === 'reply before', WAIT_MS);
    const reply = await sendText(stack.hub, 'shapes', contact, 'reply before');
    if (!reply.ok) throw new Error('send failed');
    await storedBefore;

    // Baileys drops its session with the contact and fetches the new bundle.
    const refetched = simulator.events.waitFor('bundles-fetched', (e) => e.phone === phone && e.phones.includes(contact), WAIT_MS);
    expect(simulator.reinstallContact(contact).notified).toBeGreaterThan(0);
    await refetched;

    const storedAfter = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.text === 'reply after', WAIT_MS);
    const after = await sendText(stack.hub, 'shapes', contact, 'reply after');
    if (!after.ok) throw new Error('send failed');
    expect((await storedAfter).id).toBe(after.data.messageId);

    const fromNewPhone = await simulator.contactSend(contact, phone, 'from the new phone');
    expect(await hubEvent(stack.hub, 'shapes', 'message.received', (e) => e.messageId === fromNewPhone.id)).toMatchObject({
      from: contact,
      text: 'from the new phone',
    });
  });
});

describe('a contact that reinstalled without the devices hearing of it', () => {
  it('gets the message sent to its old identity again after its retry receipt', async () => {
    const contact = '6281900000804';
    const storedBefore = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.text === 'first', WAIT_MS);
    const first = await sendText(stack.hub, 'shapes', contact, 'first');
    if (!first.ok) throw new Error('send failed');
    await storedBefore;

    expect(simulator.reinstallContact(contact, { notify: false }).notified).toBe(0);
    const storedAfter = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.text === 'to the old keys', WAIT_MS);
    const after = await sendText(stack.hub, 'shapes', contact, 'to the old keys');
    if (!after.ok) throw new Error('send failed');
    expect((await storedAfter).id).toBe(after.data.messageId);
    expect(simulator.inbox(contact).map((m) => m.text)).toEqual(['first', 'to the old keys']);
  });
});

describe('a contact with several devices', () => {
  it('gets each message on every device, and its devices send and receipt', async () => {
    const contact = '6281900000805';
    const companions = [simulator.addContactDevice(contact).device, simulator.addContactDevice(contact).device];
    const stored = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.text === 'to all your devices', WAIT_MS);
    const sent = await sendText(stack.hub, 'shapes', contact, 'to all your devices');
    if (!sent.ok) throw new Error('send failed');
    expect((await stored).devices).toEqual([0, ...companions]);

    for (const device of companions) {
      const message = await simulator.contactSend(contact, phone, `from device ${device}`, { device });
      expect(await hubEvent(stack.hub, 'shapes', 'message.received', (e) => e.messageId === message.id)).toMatchObject({
        from: contact,
        text: `from device ${device}`,
      });
    }

    simulator.receipt(sent.data.messageId, 'delivered', companions[1]);
    await hubEvent(stack.hub, 'shapes', 'message.status', (e) => e.messageId === sent.data.messageId && e.status === 'delivered');
    simulator.receipt(sent.data.messageId, 'read', companions[0]);
    await hubEvent(stack.hub, 'shapes', 'message.status', (e) => e.messageId === sent.data.messageId && e.status === 'read');
  });
});

describe("a contact's one-time prekeys", () => {
  it('lets the first message start the session with the one-time prekey the bundle handed out', async () => {
    const contact = '6281900000806';
    const fetched = simulator.events.waitFor('bundles-fetched', (e) => e.phone === phone && e.phones.includes(contact), WAIT_MS);
    const stored = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.text === 'first contact', WAIT_MS);
    const sent = await sendText(stack.hub, 'shapes', contact, 'first contact');
    if (!sent.ok) throw new Error('send failed');
    await fetched;
    expect((await stored).id).toBe(sent.data.messageId);
    // The pkmsg named the handed-out prekey and used it up.
    expect(simulator.preKeyCounts(contact)).toEqual({ handedOut: 1, unused: 0 });
  });
});
