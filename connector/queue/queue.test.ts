// The durable outbound queue through real Baileys against the simulator: queue.* commands as the hub sends
// them, the ids fixed at enqueue arriving in the contacts' inboxes, pacing of queued and synchronous sends,
// pause/resume/cancel, and WhatsApp's warning signs pausing the queue.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PACING, type PacingPolicy } from '../../shared/pacing.ts';
import type { QueueItem } from '../../shared/protocol.ts';
import type { Simulator } from '../../simulator/server.ts';
import { eventually } from '../../testing/eventually.ts';
import { command, desire, hubEvent, pair, sendText, sessionEvents, type Stack, useConnectorStack } from '../test-stack.ts';

let simulator: Simulator;
let stack: Stack;

useConnectorStack('kabar-connector-queue-', (world) => ({ simulator, stack } = world));

const text = (to: string, body: string): QueueItem => ({ to, message: { type: 'text', text: body } });
const unpaced: PacingPolicy = { ...DEFAULT_PACING, enabled: false };
/** Paced so that after one send nothing else goes for an hour. */
const hourly: PacingPolicy = { ...DEFAULT_PACING, minIntervalMs: 3_600_000, jitterMs: 0, typing: { msPerChar: 0, maxMs: 0 } };

let sessions = 0;
/** A fresh WORKING session with the given pacing, on its own phone (linked at `linkedAt`, default now). */
async function session(pacing: PacingPolicy, linkedAt?: number): Promise<{ sessionId: string; phone: string }> {
  sessions += 1;
  const sessionId = `queue-${sessions}`;
  const phone = `6281700000${String(sessions).padStart(2, '0')}`;
  desire(stack.hub, [{ sessionId, state: 'running', authEpoch: 0, pacing }]);
  const { qr } = await hubEvent(stack.hub, sessionId, 'qr');
  await simulator.scan(qr, phone, { linkedAt });
  await hubEvent(stack.hub, sessionId, 'connection.update', (e) => e.status === 'WORKING');
  return { sessionId, phone };
}

async function ok<T>(result: Promise<Awaited<ReturnType<typeof command>>>): Promise<T> {
  const frame = await result;
  if (!frame.ok) throw new Error(`command failed: ${JSON.stringify(frame.error)}`);
  return frame.data as T;
}

const enqueue = (sessionId: string, items: QueueItem[]) => ok<{ queued: { messageId: string }[] }>(command(stack.hub, { name: 'queue.enqueue', sessionId, items }));
const status = (sessionId: string) => ok<{ queue: { depth: number; paused: boolean; pausedReason: { code: string } | null; nextSendAt: number | null; etaAt: number | null } }>(command(stack.hub, { name: 'queue.status', sessionId }));

describe('the outbound queue', () => {
  it('answers each message its WhatsApp id, in order, and sends each with that id, once, in order', async () => {
    const { sessionId, phone } = await session(unpaced);
    const contact = '6281900000101';
    const { queued } = await enqueue(sessionId, [text(contact, 'satu'), text(contact, 'dua'), text(contact, 'tiga')]);
    expect(queued).toHaveLength(3);
    const ids = queued.map((q) => q.messageId);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^3EB0[0-9A-F]{18}$/);

    const inbox = await eventually(() => {
      const got = simulator.inbox(contact).filter((m) => m.from === phone);
      expect(got).toHaveLength(3);
      return got;
    });
    expect(inbox.map((m) => [m.id, m.text])).toEqual([
      [ids[0], 'satu'],
      [ids[1], 'dua'],
      [ids[2], 'tiga'],
    ]);
    for (const id of ids) {
      await hubEvent(stack.hub, sessionId, 'message.sent', (e) => e.messageId === id);
      await hubEvent(stack.hub, sessionId, 'message.status', (e) => e.messageId === id && e.status === 'sent');
    }
    const statuses = sessionEvents(stack.hub, sessionId).filter((e) => e.name === 'message.status' && e.messageId === ids[0]);
    expect(statuses[0]).toMatchObject({ status: 'queued', to: contact });
    expect((await status(sessionId)).queue).toMatchObject({ depth: 0, paused: false, nextSendAt: null });
  });

  it('holds queued messages while paused, shows why, and sends them on resume; cancel takes out one still queued', async () => {
    const { sessionId, phone } = await session(unpaced);
    const contact = '6281900000102';
    const paused = await ok<{ queue: { paused: boolean; pausedReason: { code: string } | null } }>(command(stack.hub, { name: 'queue.pause', sessionId }));
    expect(paused.queue).toMatchObject({ paused: true, pausedReason: { code: 'PAUSED_BY_USER' } });
    const { queued } = await enqueue(sessionId, [text(contact, 'a'), text(contact, 'b'), text(contact, 'c')]);
    const [a, b, c] = queued.map((q) => q.messageId);
    expect(await status(sessionId)).toMatchObject({ queue: { depth: 3, paused: true, nextSendAt: null } });

    expect(await command(stack.hub, { name: 'queue.cancel', sessionId, messageId: b! })).toMatchObject({ ok: true, data: { cancelled: b } });
    await hubEvent(stack.hub, sessionId, 'message.status', (e) => e.messageId === b && e.status === 'cancelled');
    expect(await command(stack.hub, { name: 'queue.cancel', sessionId, messageId: 'NO-SUCH-ID' })).toMatchObject({ ok: false, error: { code: 'MESSAGE_NOT_FOUND' } });
    expect(simulator.inbox(contact)).toHaveLength(0);

    await ok(command(stack.hub, { name: 'queue.resume', sessionId }));
    const got = await eventually(() => {
      const list = simulator.inbox(contact).filter((m) => m.from === phone);
      expect(list).toHaveLength(2);
      return list;
    });
    expect(got.map((m) => m.id)).toEqual([a, c]);
    expect(await command(stack.hub, { name: 'queue.cancel', sessionId, messageId: a! })).toMatchObject({ ok: false, error: { code: 'ALREADY_SENT' } });
  });

  it('paces queued sends by the session policy and says when the next one goes', async () => {
    const { sessionId, phone } = await session(hourly);
    const contact = '6281900000103';
    const { queued } = await enqueue(sessionId, [text(contact, 'first'), text(contact, 'second'), text(contact, 'third')]);
    await hubEvent(stack.hub, sessionId, 'message.sent', (e) => e.messageId === queued[0]!.messageId);
    const sentAt = Date.now();
    const { queue } = await eventually(async () => {
      const s = await status(sessionId);
      expect(s.queue.depth).toBe(2);
      return s;
    });
    // The second waits the hour after the first; the third another hour after that.
    expect(queue.nextSendAt! - sentAt).toBeGreaterThan(3_500_000);
    expect(queue.etaAt! - queue.nextSendAt!).toBeGreaterThanOrEqual(3_600_000);
    expect(simulator.inbox(contact).filter((m) => m.from === phone)).toHaveLength(1);
  });

  it("caps a freshly linked number's day at the warm-up's start, and gives one linked long ago the full cap", async () => {
    const DAY_MS = 86_400_000;
    // Only the daily cap holds anything back: no interval, no typing, a warm-up starting at 2 a day.
    const warming: PacingPolicy = { ...DEFAULT_PACING, minIntervalMs: 0, jitterMs: 0, typing: { msPerChar: 0, maxMs: 0 }, perDay: 1_000, warmup: { days: 14, startPerDay: 2 } };
    const fresh = await session(warming);
    const old = await session(warming, Date.now() - 30 * DAY_MS);
    const contacts = ['6281900000301', '6281900000302', '6281900000303'];
    const from = (phone: string) => contacts.flatMap((c) => simulator.inbox(c).filter((m) => m.from === phone));
    await enqueue(old.sessionId, contacts.map((c) => text(c, 'lama')));
    await eventually(() => expect(from(old.phone)).toHaveLength(3));

    const start = Date.now();
    const { queued } = await enqueue(fresh.sessionId, contacts.map((c) => text(c, 'baru')));
    await hubEvent(stack.hub, fresh.sessionId, 'message.status', (e) => e.messageId === queued[1]!.messageId && e.status === 'sent');
    // The third waits until the first of the day's two sends is a day old.
    await eventually(async () => {
      const { queue } = await status(fresh.sessionId);
      expect(queue.depth).toBe(1);
      expect(queue.nextSendAt! - start).toBeGreaterThan(DAY_MS - 60_000);
    });
    expect(from(fresh.phone)).toHaveLength(2);
  });

  it('refuses a synchronous send beyond the wait budget with RATE_LIMITED and when to retry', async () => {
    const { sessionId } = await session(hourly);
    const contact = '6281900000104';
    const first = await sendText(stack.hub, sessionId, contact, 'now');
    expect(first.ok).toBe(true);
    const second = await sendText(stack.hub, sessionId, contact, 'too soon');
    expect(second).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    if (second.ok) return;
    expect(second.error.retryAfterMs).toBeGreaterThan(3_500_000);
    expect(simulator.inbox(contact)).toHaveLength(1);
  });

  it.each([
    [463, 'ACCOUNT_RESTRICTED'],
    [429, 'RATE_LIMITED'],
  ])('an error ack %i pauses the queue with %s and emits session.warning', async (code, warning) => {
    const { sessionId, phone } = await session(unpaced);
    const contact = `62819000002${code}`;
    simulator.refuseSends(phone, contact, { code, delayMs: 0 });
    const { queued } = await enqueue(sessionId, [text(contact, 'refused'), text('6281900000199', 'held back')]);
    const event = await hubEvent(stack.hub, sessionId, 'session.warning');
    expect(event).toMatchObject({ code: warning, queuePaused: true });
    await hubEvent(stack.hub, sessionId, 'message.status', (e) => e.messageId === queued[0]!.messageId && e.status === 'failed');
    const { queue } = await status(sessionId);
    expect(queue).toMatchObject({ paused: true, pausedReason: { code: warning } });
    expect(queue.depth).toBeGreaterThanOrEqual(0);
    simulator.refuseSends(phone, contact, undefined);
    await ok(command(stack.hub, { name: 'queue.resume', sessionId }));
    await eventually(() => expect(simulator.inbox('6281900000199').filter((m) => m.from === phone)).toHaveLength(1));
  });

  it('refuses a batch over 1,000 as an invalid command', async () => {
    const { sessionId } = await session(unpaced);
    const big = Array.from({ length: 1_001 }, (_, i) => text('6281900000105', `m${i}`));
    expect(await command(stack.hub, { name: 'queue.enqueue', sessionId, items: big })).toMatchObject({ ok: false, error: { code: 'INVALID_COMMAND' } });
  });
});
