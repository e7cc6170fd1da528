// After pairing the phone pushes its history; what the connector lets Baileys process is HISTORY_SYNC's
// choice. By default (mappings) the initial bootstrap goes through, so the LID-phone mappings it carries are
// stored and a contact WhatsApp later names by LID alone is reported with its phone number; the bulk of a
// phone's messages (RECENT chunks) is not processed. History messages are never reported as new, in any mode.
import { join } from 'node:path';
import { proto } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import type { Simulator } from '../simulator/server.ts';
import { CONNECTOR_ID, KEY, hubEvent, pair, sessionEvents, startStack, type Stack, useSimulatorWorld } from './test-stack.ts';
import { createAuthStore } from './whatsapp/auth-state.ts';
import { HISTORY_SYNC_MODES, historySyncConfig, type HistorySyncMode } from './whatsapp/history-sync.ts';

let dir: string;
let simulator: Simulator;
const stacks = new Map<HistorySyncMode, Stack>();

// The phone pushes its bootstrap and app-state keys after pairing, as WhatsApp does.
useSimulatorWorld('kabar-connector-history-', (world) => ({ simulator, dir } = world), { historyAfterPairing: true });

beforeAll(async () => {
  for (const mode of ['none', 'mappings'] as const) {
    stacks.set(mode, await startStack(simulator.wsUrl, join(dir, `history-${mode}.db`), [], { socketConfig: historySyncConfig(mode) }));
  }
});

afterAll(async () => {
  for (const stack of stacks.values()) await stack.close();
});

async function storedMappings(stack: Stack, sessionId: string, contacts: string[]): Promise<string[]> {
  const auth = await createAuthStore(stack.db, KEY, CONNECTOR_ID).load(sessionId);
  const stored = await auth.state.keys.get('lid-mapping', contacts);
  return contacts.filter((contact) => stored[contact]);
}

describe('history sync after pairing', () => {
  it('stores the LID-phone mappings the history carries, and reports none of its messages as new', async () => {
    const stack = stacks.get('mappings')!;
    const phone = '6281100000901';
    const contact = '6281900000901';
    await pair(stack, simulator, 'history', phone);
    await simulator.pushHistory(phone, [{ contact, texts: ['an old message'] }]);
    // No event marks the end of Baileys' history processing; the stored mapping is the thing to wait for.
    await eventually(async () => expect(await storedMappings(stack, 'history', [contact])).toEqual([contact]));
    const { id } = await simulator.contactSend(contact, phone, 'now by lid alone', { addressing: 'lid-without-pn' });
    expect(await hubEvent(stack.hub, 'history', 'message.received', (e) => e.messageId === id)).toMatchObject({ from: contact, text: 'now by lid alone' });
    expect(sessionEvents(stack.hub, 'history').filter((e) => e.name === 'message.received' && e.text === 'an old message')).toEqual([]);
  });

  it.each([
    { mode: 'none', taken: [] },
    { mode: 'mappings', taken: ['bootstrap'] },
  ] as const)('HISTORY_SYNC=$mode processes only the history chunks it allows', async ({ mode, taken }) => {
    const stack = stacks.get(mode)!;
    const n = { none: 1, mappings: 2 }[mode];
    const phone = `62811000009${n}0`;
    const contacts = { bootstrap: `62819000009${n}1`, recent: `62819000009${n}2`, status: `62819000009${n}4` };
    const later = `62819000009${n}3`;
    const sessionId = `bounded-${mode}`;
    await pair(stack, simulator, sessionId, phone);
    await simulator.pushHistory(phone, [{ contact: contacts.bootstrap, texts: [`bootstrap history ${mode}`] }], 'INITIAL_BOOTSTRAP');
    await simulator.pushHistory(phone, [{ contact: contacts.recent, texts: [`recent history ${mode}`] }], 'RECENT');
    await simulator.pushHistory(phone, [{ contact: contacts.status, texts: [`status history ${mode}`] }], 'INITIAL_STATUS_V3');
    // Baileys handles one socket's messages one at a time, so once a later message is reported both pushes were handled.
    const { id } = await simulator.contactSend(later, phone, `a later message ${mode}`);
    await hubEvent(stack.hub, sessionId, 'message.received', (e) => e.messageId === id);
    expect(await storedMappings(stack, sessionId, Object.values(contacts))).toEqual(taken.map((chunk) => contacts[chunk]));
    expect(sessionEvents(stack.hub, sessionId).flatMap((e) => (e.name === 'message.received' && e.text.includes('history') ? [e.text] : []))).toEqual([]);
  });

  it('takes the app-state keys the phone shares after pairing without asking for app-state patches', async () => {
    const stack = stacks.get('mappings')!;
    const phone = '6281100000930';
    const asked: string[] = [];
    simulator.events.on('iq-answered', (iq) => {
      if (iq.phone === phone) asked.push(iq.xmlns);
    });
    await pair(stack, simulator, 'app-state-keys', phone);
    await eventually(async () => {
      const auth = await createAuthStore(stack.db, KEY, CONNECTOR_ID).load('app-state-keys');
      const keyId = auth.state.creds.myAppStateKeyId;
      expect(keyId).toBeTruthy();
      expect((await auth.state.keys.get('app-state-sync-key', [keyId!]))[keyId!]).toBeTruthy();
    });
    const { id } = await simulator.contactSend('6281900000931', phone, 'after the keys');
    await hubEvent(stack.hub, 'app-state-keys', 'message.received', (e) => e.messageId === id);
    expect(asked).not.toContain('w:sync:app:state');
    expect(sessionEvents(stack.hub, 'app-state-keys').filter((e) => e.name === 'connection.update').at(-1)).toMatchObject({ status: 'WORKING' });
  });

  // Through the simulator only none and mappings: once Baileys processes a history chunk while it awaits the
  // initial sync (which it does only when RECENT is allowed), it runs the initial app-state sync, and the
  // simulator has no app-state server (its empty answer makes Baileys ask again without end).
  it('HISTORY_SYNC=recent lets RECENT chunks through besides what mappings takes, and FULL or ON_DEMAND in no mode', () => {
    const allows = (mode: HistorySyncMode, syncType: proto.HistorySync.HistorySyncType) => historySyncConfig(mode).shouldSyncHistoryMessage!({ syncType });
    const Type = proto.HistorySync.HistorySyncType;
    expect([Type.INITIAL_BOOTSTRAP, Type.PUSH_NAME, Type.RECENT].map((type) => allows('recent', type))).toEqual([true, true, true]);
    expect(allows('mappings', Type.RECENT)).toBe(false);
    for (const mode of HISTORY_SYNC_MODES) {
      expect([Type.FULL, Type.ON_DEMAND, Type.INITIAL_STATUS_V3].map((type) => allows(mode, type))).toEqual([false, false, false]);
      expect(historySyncConfig(mode).syncFullHistory).toBe(false);
    }
  });
});
