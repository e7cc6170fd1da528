// The durable outbound queue end to end (Worker, hub, connector process, real Baileys, simulator): a batch
// survives the connector killed with SIGKILL mid-batch and the hub restarted, and every message reaches the
// contact with the id it was given at enqueue, none lost and none under a second id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import { connectorUp, newPhone, pairedSession, startSystem, statusBecomes, type System } from './harness.ts';

let system: System;

beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.close());

const BATCH = 40;
const KILL_AFTER = 10;

describe('a queued batch', () => {
  it('arrives whole and once per id after the connector is killed mid-batch and the hub restarted', async () => {
    const { api, simulator, stack, connector } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { apiKey } = await pairedSession(system, phone);

    // Each time the contact's phone stores a message, by id; the kill comes as the KILL_AFTER-th is stored.
    const stores = new Map<string, number>();
    let killed: Promise<unknown> | undefined;
    const stop = simulator.events.on('message-stored', (m) => {
      if (m.to !== contact) return;
      stores.set(m.id, (stores.get(m.id) ?? 0) + 1);
      if (stores.size === KILL_AFTER && !killed) killed = connector.kill('SIGKILL');
    });

    const messages = Array.from({ length: BATCH }, (_, i) => ({ to: contact, type: 'text', text: { body: `pesan ${i}` } }));
    const accepted = await api('POST', '/api/messages/batch', { key: apiKey, body: { messages } });
    expect(accepted.status).toBe(202);
    const ids: string[] = accepted.json.messages.map((m: { messageId: string }) => m.messageId);
    expect(new Set(ids).size).toBe(BATCH);

    await eventually(() => expect(killed).toBeDefined(), { timeoutMs: 30_000 });
    expect(await killed).toEqual({ code: null, signal: 'SIGKILL' });
    expect(stores.size).toBeLessThan(BATCH);
    await stack.restartHub(connector.connectorId);
    await connectorUp(system);
    await statusBecomes(api, apiKey, 'WORKING', true);

    await eventually(() => expect(stores.size).toBe(BATCH), { timeoutMs: 60_000 });
    stop();
    // Every id the API gave, and no other: a message sent again after the kill kept its id, so the
    // contact's phone shows it once.
    expect([...stores.keys()].sort()).toEqual([...ids].sort());
    // The contact's phone shows each once, in the order given; one sent again with its id is a duplicate it
    // counts and does not show, which only a message in flight at the kill may be.
    const inbox = simulator.inbox(contact).filter((m) => m.from === phone);
    expect(inbox.map((m) => m.id)).toEqual(ids);
    expect(inbox.map((m) => m.text)).toEqual(messages.map((m) => m.text.body));
    expect(ids.filter((id) => simulator.duplicates(id) > 0).length).toBeLessThanOrEqual(1);
    // Pairing, 40 sends, a kill, a hub restart and a connector start: more than the default 30 s on a loaded machine.
  }, 120_000);
});
