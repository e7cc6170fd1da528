// Sessions of one connector sending at once to the same contact, some of them for the first time: a first send
// encrypts with the Signal session its own transaction just fetched, whatever the other sessions do meanwhile.
// The whole path (hub command, connector, real Baileys, simulator). In one process with the simulator the first
// sends did not interleave enough to show the failure this guards against (the bench stack did, 20 sessions x 8
// sends); signal-job-context.test.ts reproduces its mechanism deterministically.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { eventually } from '../testing/eventually.ts';
import { pair, sendText, type Stack, useConnectorStack } from './test-stack.ts';

const CONTACT = '6289900000042';
/** Sessions that have messaged CONTACT before the bursts, and sessions that have not. */
const WARM = ['kilo', 'lima'];
const FRESH = ['mike', 'november', 'oscar'];
const PER_SESSION = 4;

let simulator: Simulator;
let stack: Stack;

useConnectorStack('kabar-concurrent-first-', (world) => ({ simulator, stack } = world));

beforeAll(async () => {
  for (const [i, sessionId] of [...WARM, ...FRESH].entries()) await pair(stack, simulator, sessionId, `628110000004${i}`);
});

/** Each session sends PER_SESSION texts to CONTACT, all at once; asserts each was answered and arrived once. */
async function burst(label: string, sessions: string[]) {
  const texts = sessions.flatMap((sessionId) => Array.from({ length: PER_SESSION }, (_, i) => ({ sessionId, text: `${label} ${sessionId} ${i}` })));
  const results = await Promise.all(texts.map(({ sessionId, text }) => sendText(stack.hub, sessionId, CONTACT, text)));
  expect(results.filter((r) => !r.ok)).toEqual([]);
  const ids = results.map((r) => (r.ok ? r.data.messageId : ''));
  await eventually(() => {
    const inbox = simulator.inbox(CONTACT);
    expect(ids.map((id) => inbox.filter((m) => m.id === id).map((m) => m.text))).toEqual(texts.map(({ text }) => [text]));
  });
  expect(ids.map((id) => simulator.duplicates(id))).toEqual(ids.map(() => 0));
}

describe('concurrent sends to one contact', () => {
  it('first sends of fresh sessions, among sends of others, all arrive once, and the next sends too', async () => {
    for (const sessionId of WARM) expect((await sendText(stack.hub, sessionId, CONTACT, `hello from ${sessionId}`)).ok).toBe(true);
    await burst('first', [...WARM, ...FRESH]);
    await burst('next', [...WARM, ...FRESH]);
  });
});
