// Messages the user types on the phone reach the session as WhatsApp syncs them to linked devices: the
// connector reports them as message.sent with source "phone", then their receipts; a receipt for a message
// it never recorded (sent before the device was linked) is not reported as a status of an unknown message.
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { hubEvent, pair, sessionEvents, type Stack, useConnectorStack } from './test-stack.ts';

let simulator: Simulator;
let stack: Stack;

// Receipts at once and in order, so a later receipt's status proves an earlier receipt was handled.
useConnectorStack('kabar-connector-phone-', (world) => ({ simulator, stack } = world), { simulator: { receiptDelayMaxMs: 0 } });

describe("messages typed on the user's phone", () => {
  it('reports a message typed on the phone as message.sent from the phone, then its receipts', async () => {
    const phone = '6281100000701';
    const contact = '6281900000701';
    await pair(stack, simulator, 'phone-sync', phone);
    const { id } = await simulator.phoneSend(phone, contact, 'typed on the phone');
    const sent = await hubEvent(stack.hub, 'phone-sync', 'message.sent', (e) => e.messageId === id);
    expect(sent).toMatchObject({ to: contact, text: 'typed on the phone', source: 'phone' });
    simulator.receipt(id, 'read');
    await hubEvent(stack.hub, 'phone-sync', 'message.status', (e) => e.messageId === id && e.status === 'read');
    const about = sessionEvents(stack.hub, 'phone-sync').filter((e) => 'messageId' in e && e.messageId === id);
    expect(about.map((e) => (e.name === 'message.status' ? e.status : e.name))).toEqual(['message.sent', 'sent', 'delivered', 'read']);
  });

  it('reports no status for a receipt of a phone message sent before the device was linked', async () => {
    const phone = '6281100000702';
    const contact = '6281900000702';
    const before = await simulator.phoneSend(phone, contact, 'sent before linking');
    await pair(stack, simulator, 'phone-old', phone);
    const after = await simulator.phoneSend(phone, contact, 'sent after linking');
    await hubEvent(stack.hub, 'phone-old', 'message.sent', (e) => e.messageId === after.id);
    simulator.receipt(before.id, 'read');
    simulator.receipt(after.id, 'read');
    await hubEvent(stack.hub, 'phone-old', 'message.status', (e) => e.messageId === after.id && e.status === 'read');
    expect(sessionEvents(stack.hub, 'phone-old').filter((e) => 'messageId' in e && e.messageId === before.id)).toEqual([]);
  });
});
