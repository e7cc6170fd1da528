// Statuses of sent messages end to end, with contacts that receipt the instant they have a message: the
// Worker in workerd, the connector process, real Baileys and the simulator, down to Turso's messages table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import { newPhone, pairedSession, rows, startSystem, type System } from './harness.ts';

let system: System;

beforeAll(async () => {
  system = await startSystem({
    simulator: { autoReceipts: 'read', receiptDelayMaxMs: 0 },
    vars: { RATE_LIMIT_SEND_PER_MIN: '1000' },
  });
});
afterAll(async () => {
  await system?.close();
});

describe('message statuses with instant receipts', () => {
  it('records sent, delivered and read once each, in order, for a burst of 100 sends to 10 contacts, and ends each row read', async () => {
    const { api, stack } = system;
    const { sessionId, apiKey } = await pairedSession(system, newPhone());
    const contacts = Array.from({ length: 10 }, () => newPhone());
    const ids: string[] = [];
    // Ten at a time: a burst, without 100 requests racing for the two CPUs the test shares.
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(
        contacts.map((to, i) => api('POST', '/api/send', { key: apiKey, body: { to, message: `burst ${round}-${i}` } })),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        ids.push(answer.json.result.key.id);
      }
    }
    expect(new Set(ids).size).toBe(100);

    await eventually(
      async () => {
        const read = await rows(stack, "SELECT count(*) AS n FROM messages WHERE session_id = ? AND direction = 'out' AND status = 'read'", [sessionId]);
        expect(read[0]?.n).toBe(100);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const events = await rows(stack, "SELECT payload FROM events WHERE session_id = ? AND name = 'message.status' ORDER BY rowid", [sessionId]);
    const byMessage = new Map<string, string[]>();
    for (const { payload } of events) {
      const { messageId, status } = JSON.parse(String(payload)) as { messageId: string; status: string };
      byMessage.set(messageId, [...(byMessage.get(messageId) ?? []), status]);
    }
    for (const id of ids) expect({ id, statuses: byMessage.get(id) }).toEqual({ id, statuses: ['sent', 'delivered', 'read'] });
    const texts = await rows(stack, "SELECT provider_message_id, text, status FROM messages WHERE session_id = ? AND direction = 'out'", [sessionId]);
    expect(texts).toHaveLength(100);
    expect(texts.every((row) => row.status === 'read' && String(row.text).startsWith('burst '))).toBe(true);
  }, 180_000);
});
