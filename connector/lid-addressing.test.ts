// Messages WhatsApp addresses by LID reach the hub: with the phone number where WhatsApp gives it or the
// session already knows it, else with the LID alone and `from: null`. None is dropped after its receipt.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { hubEvent, pair, useConnectorStack, type Stack } from './test-stack.ts';

let simulator: Simulator;
let stack: Stack;
const phone = '6281100000501';

useConnectorStack('kabar-connector-lid-', (world) => ({ simulator, stack } = world), { store: 'lid.db' });

beforeAll(async () => {
  await pair(stack, simulator, 'lid', phone);
});

describe('LID-addressed messages', () => {
  it('reports a message from a LID with its sender_pn under the phone number', async () => {
    const contact = '6281900000501';
    const { id } = await simulator.contactSend(contact, phone, 'by lid, with pn', { addressing: 'lid' });
    const incoming = await hubEvent(stack.hub, 'lid', 'message.received', (e) => e.messageId === id);
    expect(incoming).toMatchObject({ from: contact, fromLid: expect.stringMatching(/^\d+@lid$/), text: 'by lid, with pn' });
  });

  it('resolves a LID without sender_pn from the mapping an earlier message stored', async () => {
    const contact = '6281900000502';
    const first = await simulator.contactSend(contact, phone, 'by phone first');
    const byPhone = await hubEvent(stack.hub, 'lid', 'message.received', (e) => e.messageId === first.id);
    const { id } = await simulator.contactSend(contact, phone, 'then by lid alone', { addressing: 'lid-without-pn' });
    const incoming = await hubEvent(stack.hub, 'lid', 'message.received', (e) => e.messageId === id);
    expect(incoming).toMatchObject({ from: contact, fromLid: byPhone.fromLid, text: 'then by lid alone' });
  });

  it('delivers a message from a LID whose phone number nobody gave, with from null and the LID', async () => {
    const contact = '6281900000503';
    const { id } = await simulator.contactSend(contact, phone, 'who am i', { addressing: 'lid-without-pn' });
    const incoming = await hubEvent(stack.hub, 'lid', 'message.received', (e) => e.messageId === id);
    expect(incoming).toMatchObject({ from: null, fromLid: expect.stringMatching(/^\d+@lid$/), text: 'who am i' });
    expect(incoming.fromLid).not.toContain(contact);
  });
});
