// Faults end to end: the connector process killed with SIGKILL (mid-burst, and before a send) and the hub
// evicted, with real Baileys on the simulator. Each test pairs its own session; each leaves the connector up.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import { connectorUp, newPhone, outboxIds, pairedSession, rows, startSystem, status, statusBecomes, type System } from './harness.ts';

let system: System;

beforeAll(async () => {
  // A deadline far beyond the test timeout: a send that waited for it instead of failing fast times the test out.
  system = await startSystem({ vars: { COMMAND_TIMEOUT_MS: '60000' } });
});
afterAll(() => system?.close());

// Tests that kill the connector leave it to the next one to start again.
beforeEach(() => connectorUp(system));

async function storedButUnacked(sessionId: string): Promise<string[]> {
  const pending = new Set(await outboxIds(system.connector));
  const stored = await rows(system.stack, 'SELECT id FROM events WHERE session_id = ?', [sessionId]);
  return stored.map((row) => String(row.id)).filter((id) => pending.has(id));
}

describe('the connector killed with SIGKILL', () => {
  it('stores every message of a burst exactly once when killed mid-burst, just after the simulator wrote one, and restarted', async () => {
    const { simulator, stack, connector } = system;
    const phone = newPhone();
    const contacts = [newPhone(), newPhone(), newPhone()];
    const { sessionId, apiKey } = await pairedSession(system, phone);
    const BURST = 20;
    const IN_FLIGHT = 4;
    const KILL_AFTER = 12;
    const WHILE_DOWN = 10;

    // SIGKILL in the same tick as the simulator writes the KILL_AFTER-th message to the connector's socket:
    // that one cannot have been receipted, so it is one WhatsApp must keep and deliver again.
    let written = 0;
    let killedAt: string | undefined;
    let killed: Promise<unknown> | undefined;
    let receiptedAtKill = -1;
    const receipted = new Set<string>();
    const requeued: string[] = [];
    const nacked: string[] = [];
    const stopWatching = [
      simulator.events.on('contact-message-sent', (m) => {
        if (m.to !== phone || ++written !== KILL_AFTER) return;
        killedAt = m.id;
        receiptedAtKill = receipted.size;
        killed = connector.kill('SIGKILL');
      }),
      simulator.events.on('receipt-received', (r) => r.from === phone && receipted.add(r.id)),
      simulator.events.on('messages-requeued', (r) => r.phone === phone && requeued.push(...r.ids)),
      simulator.events.on('nack-received', (n) => n.from === phone && nacked.push(`${n.id} (${n.error})`)),
    ];
    const disconnected = simulator.events.waitFor('device-disconnected', (d) => d.phone === phone, 15_000);
    const receiptOf = (id: string) =>
      receipted.has(id) ? Promise.resolve() : simulator.events.waitFor('receipt-received', (r) => r.id === id, 15_000);
    // At most IN_FLIGHT messages ahead of the connector's receipts, so the kill finds messages in every state:
    // receipted, stored but not receipted, being decrypted, written but not read yet. The receipts only pace
    // the burst; the kill comes with a write, so it falls anywhere in the connector's work.
    const first: { id: string; text: string }[] = [];
    for (let i = 0; i < BURST; i++) {
      const behind = first[i - IN_FLIGHT];
      if (behind && !killed) await receiptOf(behind.id);
      const { id } = await simulator.contactSend(contacts[i % 3]!, phone, `pesan ${i}`);
      first.push({ id, text: `pesan ${i}` });
    }
    expect(await killed).toEqual({ code: null, signal: 'SIGKILL' });
    await disconnected;
    expect(receiptedAtKill).toBeGreaterThanOrEqual(KILL_AFTER - 1 - IN_FLIGHT);
    // Written to the connection that died and never receipted: queued again for the device's next login.
    expect(requeued).toContain(killedAt);

    // While it is down the simulator queues the rest for the device's next login, as WhatsApp does.
    const rest = [];
    for (let i = BURST; i < BURST + WHILE_DOWN; i++) {
      const { id } = await simulator.contactSend(contacts[i % 3]!, phone, `pesan ${i}`);
      rest.push({ id, text: `pesan ${i}` });
    }
    const sent = [...first, ...rest];
    // Events the hub already stored but whose ack the connector never processed (if the kill left any): the
    // restart sends them again.
    const resent = await storedButUnacked(sessionId);
    await connectorUp(system);

    const stored = await eventually(
      async () => {
        const found = await rows(stack, "SELECT provider_message_id AS id, text FROM messages WHERE session_id = ? AND direction = 'in'", [sessionId]);
        // A redelivered message nacked 487 is one whose Signal key the connector had already spent (its session
        // state was saved) without having stored the message: lost, since WhatsApp sends it no more.
        expect(found, `nacked by the restarted connector: ${nacked.join(', ') || 'none'}`).toHaveLength(sent.length);
        return found;
      },
      { timeoutMs: 20_000 },
    );
    for (const stop of stopWatching) stop();
    const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.id).localeCompare(String(b.id));
    expect(stored.sort(byId)).toEqual(sent.sort(byId));
    const events = await rows(stack, "SELECT id, payload FROM events WHERE session_id = ? AND name = 'message.received'", [sessionId]);
    expect(events.map((e) => JSON.parse(String(e.payload)).messageId).sort()).toEqual(sent.map((m) => m.id).sort());
    expect(events.map((e) => e.id)).toEqual(expect.arrayContaining(resent));
    // The outbox is drained: the hub acked the resent events too.
    await eventually(async () => expect(await outboxIds(connector)).toEqual([]));
    // The login survived the kill: WORKING again without a new QR.
    expect(await statusBecomes(system.api, apiKey, 'WORKING', true)).toMatchObject({ user: { id: phone } });
  });

  it('makes a send answer 503 at once, and the session comes back WORKING without a new QR after a restart', async () => {
    const { api, simulator, connector } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { apiKey } = await pairedSession(system, phone);

    expect(await connector.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    // With a 60 s command deadline, only a hub that knows the connector is gone can answer within the test.
    const refused = await api('POST', '/api/send', { key: apiKey, body: { to: contact, message: 'ada orang?' } });
    expect(refused).toMatchObject({ status: 503, json: { success: false, code: 'CONNECTOR_OFFLINE' } });
    expect(await status(api, apiKey)).toMatchObject({ connected: false });

    const reconnected = simulator.events.waitFor('device-connected', (d) => d.phone === phone, 15_000);
    await connectorUp(system);
    await reconnected;
    await statusBecomes(api, apiKey, 'WORKING', true);
    const stored = simulator.events.waitFor('message-stored', (m) => m.to === contact);
    const sent = await api('POST', '/api/send', { key: apiKey, body: { to: contact, message: 'sudah kembali' } });
    expect(sent.status).toBe(200);
    expect((await stored).id).toBe(sent.json.result.key.id);
  });
});

describe('the hub restarted', () => {
  it('keeps the WhatsApp session up while the connector reconnects, and sends again', async () => {
    const { api, simulator, stack, connector } = system;
    const phone = newPhone();
    const contact = newPhone();
    const { apiKey } = await pairedSession(system, phone);
    const drops: unknown[] = [];
    const stopWatching = simulator.events.on('device-disconnected', (d) => d.phone === phone && drops.push(d));

    const mark = connector.logs().length;
    await stack.restartHub(connector.connectorId);
    await connector.waitForLog((l) => l.msg === 'hub link closed; reconnecting', { from: mark, what: 'the hub link noticing the restart' });
    await connector.waitForLog((l) => l.msg === 'hub link ready', { from: mark, what: "'hub link ready' after the hub restart" });
    await statusBecomes(api, apiKey, 'WORKING', true);

    const stored = simulator.events.waitFor('message-stored', (m) => m.to === contact);
    const sent = await api('POST', '/api/send', { key: apiKey, body: { to: contact, message: 'setelah hub restart' } });
    expect(sent.status).toBe(200);
    expect((await stored).id).toBe(sent.json.result.key.id);
    stopWatching();
    expect(drops).toEqual([]);
  });
});
