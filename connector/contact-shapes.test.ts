// Contacts and receipts as WhatsApp sends them, through real Baileys: texts as extendedTextMessage and inside
// disappearing-message wrappers, push names, and receipts in lists, repeated and out of order. Each message
// is reported once, each status once and forward only.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { hubEvent, pair, sendText, sessionEvents, startStack, type Stack, WAIT_MS, useSimulatorWorld } from './test-stack.ts';

let dir: string;
let simulator: Simulator;
let stack: Stack;
const phone = '6281100000801';

// Receipts at once and in order, so the last one's status proves the earlier ones were handled.
useSimulatorWorld('kabar-connector-shapes-', (world) => ({ simulator, dir } = world), { receiptDelayMaxMs: 0 });

beforeAll(async () => {
  stack = await startStack(simulator.wsUrl, join(dir, 'shapes.db'));
  await pair(stack, simulator, 'shapes', phone);
});

afterAll(async () => {
  await stack?.close();
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
