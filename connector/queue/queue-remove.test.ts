// A session removed (the hub's explicit `remove`) with messages still in its outbound queue: its queued
// messages (sealed user content), its queue pause, the statuses of what it sent and its pacing log go with
// it, and nothing of it is sent after, through the whole connector (real Baileys, queue runner, a real
// libSQL file) against the WhatsApp simulator. Other sessions keep theirs, and a reset, or a session the
// hub merely stops listing, keeps its own.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PACING, type PacingPolicy } from '../../shared/pacing.ts';
import type { QueueItem } from '../../shared/protocol.ts';
import type { Simulator } from '../../simulator/server.ts';
import { eventually } from '../../testing/eventually.ts';
import { WAIT_MS, command, desire, hubEvent, type Stack, useConnectorStack } from '../test-stack.ts';

let simulator: Simulator;
let stack: Stack;

useConnectorStack('kabar-queue-remove-', (world) => ({ simulator, stack } = world));

/** Paced so that after one send nothing else goes for an hour: the rest stays queued. */
const hourly: PacingPolicy = { ...DEFAULT_PACING, minIntervalMs: 3_600_000, jitterMs: 0, typing: { msPerChar: 0, maxMs: 0 } };
/** Nothing holds a send back but "typing...", shown long enough for a removal to land while it shows. */
const slowTyping: PacingPolicy = { ...DEFAULT_PACING, minIntervalMs: 0, jitterMs: 0, typing: { msPerChar: 1_000, maxMs: 4_000 } };

const text = (to: string, body: string): QueueItem => ({ to, message: { type: 'text', text: body } });

async function session(sessionId: string, phone: string, pacing: PacingPolicy): Promise<void> {
  desire(stack.hub, [{ sessionId, state: 'running', authEpoch: 0, pacing }]);
  const { qr } = await hubEvent(stack.hub, sessionId, 'qr');
  await simulator.scan(qr, phone);
  await hubEvent(stack.hub, sessionId, 'connection.update', (e) => e.status === 'WORKING');
}

async function ok<T>(result: ReturnType<typeof command>): Promise<T> {
  const frame = await result;
  if (!frame.ok) throw new Error(`command failed: ${JSON.stringify(frame.error)}`);
  return frame.data as T;
}

const enqueue = async (sessionId: string, items: QueueItem[]) =>
  (await ok<{ queued: { messageId: string }[] }>(command(stack.hub, { name: 'queue.enqueue', sessionId, items }))).queued.map((q) => q.messageId);

const TABLES = ['send_queue', 'send_queue_pause', 'message_status', 'send_log'] as const;

/** The session's rows in each table its queue and statuses write. */
async function rowsOf(sessionId: string): Promise<Record<(typeof TABLES)[number], number>> {
  const counts = await Promise.all(
    TABLES.map(async (table) => Number((await stack.db.execute({ sql: `SELECT count(*) AS n FROM ${table} WHERE session_id = ?`, args: [sessionId] })).rows[0]?.n)),
  );
  return Object.fromEntries(TABLES.map((table, i) => [table, counts[i]])) as Record<(typeof TABLES)[number], number>;
}

/** Starts a paced session, sends one message and leaves two queued behind it, then pauses the queue. */
async function withQueueLeft(sessionId: string, phone: string, contact: string): Promise<string[]> {
  await session(sessionId, phone, hourly);
  const ids = await enqueue(sessionId, [text(contact, 'satu'), text(contact, 'dua'), text(contact, 'tiga')]);
  await hubEvent(stack.hub, sessionId, 'message.status', (e) => e.messageId === ids[0] && e.status === 'sent');
  await ok(command(stack.hub, { name: 'queue.pause', sessionId }));
  await eventually(async () => expect(await rowsOf(sessionId)).toEqual({ send_queue: 3, send_queue_pause: 1, message_status: 1, send_log: 1 }));
  return ids;
}

describe('removing a session with messages still queued', () => {
  it("deletes its queued messages, queue pause, message statuses and pacing log, and keeps the other sessions' rows", async () => {
    const contact = '6281900000701';
    await withQueueLeft('q-kept', '6281100000702', contact);
    await withQueueLeft('q-gone', '6281100000701', contact);

    const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === '6281100000701', WAIT_MS);
    stack.hub.send({ type: 'remove', sessionIds: ['q-gone'] });
    await unlinked;
    await eventually(async () => expect(await rowsOf('q-gone')).toEqual({ send_queue: 0, send_queue_pause: 0, message_status: 0, send_log: 0 }));
    expect(await rowsOf('q-kept')).toEqual({ send_queue: 3, send_queue_pause: 1, message_status: 1, send_log: 1 });
    expect(simulator.inbox(contact).filter((m) => m.from === '6281100000701')).toHaveLength(1);
  });

  it('never sends a message it had picked and was showing "typing..." for when the session was removed', async () => {
    const phone = '6281100000703';
    const contact = '6281900000703';
    await session('q-typing', phone, slowTyping);
    const typing = simulator.events.waitFor('presence-received', (p) => p.from === phone && p.to === contact && p.state === 'composing', WAIT_MS);
    const [id] = await enqueue('q-typing', [text(contact, 'picked while typing')]);
    await typing;

    const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === phone, WAIT_MS);
    stack.hub.send({ type: 'remove', sessionIds: ['q-typing'] });
    await unlinked;
    // The removal forgets the queue only once no drain of the session runs: with its rows gone, the picked
    // message has had its chance to go out.
    await eventually(async () => expect((await rowsOf('q-typing')).send_queue).toBe(0));
    expect(simulator.inbox(contact).filter((m) => m.from === phone)).toEqual([]);
    expect(stack.hub.received.some((f) => f.sessionId === 'q-typing' && f.event.name === 'message.sent' && f.event.messageId === id)).toBe(false);
  });
  it('keeps the queue through a login reset and while the hub merely stops listing the session, and deletes it once a welcome names it removed', async () => {
    const contact = '6281900000704';
    const resetPhone = '6281100000704';
    const awayPhone = '6281100000705';
    await withQueueLeft('q-reset', resetPhone, contact);
    await withQueueLeft('q-away', awayPhone, contact);
    const kept = { send_queue: 3, send_queue_pause: 1, message_status: 1, send_log: 1 };

    // A reset forgets the login, not what the user queued: the session is still theirs.
    desire(stack.hub, [{ sessionId: 'q-reset', state: 'running', authEpoch: 1, pacing: hourly }]);
    await hubEvent(stack.hub, 'q-reset', 'connection.update', (e) => e.status === 'LOGGED_OUT');
    expect(await rowsOf('q-reset')).toEqual(kept);

    // Welcomed again without the session (given to another connector, or a hub on a wrong database).
    stack.hub.setSessions([]);
    const released = simulator.events.waitFor('device-disconnected', (d) => d.phone === awayPhone, WAIT_MS);
    stack.hub.drop();
    await released;
    expect(await rowsOf('q-away')).toEqual(kept);

    // Deleted while away: the next welcome names it removed.
    stack.hub.setRemoved(['q-away']);
    const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === awayPhone, WAIT_MS);
    stack.hub.drop();
    await unlinked;
    await eventually(async () => expect(await rowsOf('q-away')).toEqual({ send_queue: 0, send_queue_pause: 0, message_status: 0, send_log: 0 }));
    expect(await rowsOf('q-reset')).toEqual(kept);
  });
});
