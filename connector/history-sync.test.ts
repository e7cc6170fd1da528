// After pairing the phone pushes its history; the connector lets the initial bootstrap through, so the
// LID-phone mappings it carries are stored and a contact WhatsApp later names by LID alone is reported
// with its phone number. History messages themselves are not reported as new messages.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import type { Simulator } from '../simulator/server.ts';
import { CONNECTOR_ID, KEY, hubEvent, pair, sessionEvents, startStack, type Stack, useSimulatorWorld } from './test-stack.ts';
import { createAuthStore } from './whatsapp/auth-state.ts';

let dir: string;
let simulator: Simulator;
let stack: Stack;

useSimulatorWorld('kabar-connector-history-', (world) => ({ simulator, dir } = world));

beforeAll(async () => {
  stack = await startStack(simulator.wsUrl, join(dir, 'history.db'));
});

afterAll(async () => {
  await stack?.close();
});

describe('history sync after pairing', () => {
  it('stores the LID-phone mappings the history carries, and reports none of its messages as new', async () => {
    const phone = '6281100000901';
    const contact = '6281900000901';
    await pair(stack, simulator, 'history', phone);
    await simulator.pushHistory(phone, [{ contact, texts: ['an old message'] }]);
    const auth = await createAuthStore(stack.db, KEY, CONNECTOR_ID).load('history');
    // No event marks the end of Baileys' history processing; the stored mapping is the thing to wait for.
    await eventually(async () => {
      const stored = await auth.state.keys.get('lid-mapping', [contact]);
      expect(stored[contact]).toBeTruthy();
    });
    const { id } = await simulator.contactSend(contact, phone, 'now by lid alone', { addressing: 'lid-without-pn' });
    expect(await hubEvent(stack.hub, 'history', 'message.received', (e) => e.messageId === id)).toMatchObject({ from: contact, text: 'now by lid alone' });
    expect(sessionEvents(stack.hub, 'history').filter((e) => e.name === 'message.received' && e.text === 'an old message')).toEqual([]);
  });
});
