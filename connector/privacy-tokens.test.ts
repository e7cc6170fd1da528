// Privacy tokens (tctokens) through real Baileys against the simulator. Baileys issues one to a contact after
// messaging it, once per time bucket, and remembers the issue in the Signal key store. Its issuance runs
// fire-and-forget from inside the send's key transaction; when it finished after that transaction had
// committed, the remembered issue went into the ended transaction and was lost, so every later send issued a
// token again: an iq per message, a pattern WhatsApp's own clients never show.
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import type { Simulator } from '../simulator/server.ts';
import { createAuthStore } from './whatsapp/auth-state.ts';
import { CONNECTOR_ID, KEY, pair, sendText, type Stack, useConnectorStack } from './test-stack.ts';

const SESSION = 'tokens';
const PHONE = '6281300000777';
const CONTACT = '6281300000888';

let simulator: Simulator;
let stack: Stack;

useConnectorStack('kabar-connector-tctoken-', (world) => ({ simulator, stack } = world));

beforeAll(async () => {
  await pair(stack, simulator, SESSION, PHONE);
});

/** The stored tctoken entries of the session that record an issue of ours (Baileys' index row left out). */
async function storedIssues(): Promise<number[]> {
  const ids = (await stack.db.execute({ sql: "SELECT id FROM auth_state WHERE session_id = ? AND kind = 'tctoken'", args: [SESSION] })).rows.map((r) => String(r.id));
  const { state } = await createAuthStore(stack.db, KEY, CONNECTOR_ID).load(SESSION);
  const values = await state.keys.get('tctoken', ids);
  return Object.values(values).flatMap((v) => (typeof v?.senderTimestamp === 'number' ? [v.senderTimestamp] : []));
}

describe('privacy tokens', () => {
  it('issues a token to a contact once, keeps the issue in the store, and does not issue again on the next sends', async () => {
    const first = await sendText(stack.hub, SESSION, CONTACT, 'first');
    expect(first.ok).toBe(true);
    await eventually(() => expect(simulator.privacyTokensIssued(PHONE, CONTACT)).toBe(1));
    // Before the fix this never held: the issue was written into the send's already committed transaction.
    await eventually(async () => expect(await storedIssues()).toHaveLength(1));

    for (const text of ['second', 'third', 'fourth']) expect((await sendText(stack.hub, SESSION, CONTACT, text)).ok).toBe(true);
    await eventually(() => expect(simulator.inbox(CONTACT).map((m) => m.text)).toEqual(['first', 'second', 'third', 'fourth']));
    expect(simulator.privacyTokensIssued(PHONE, CONTACT)).toBe(1);
  });
});
