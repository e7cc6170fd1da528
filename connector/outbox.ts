// The durable event outbox: every event is written here before it is sent to the hub and deleted only
// when the hub acks it, so a crash or a dropped link never loses one (at-least-once; the hub dedupes by id).
// Events carry message texts, so each is sealed like the auth state (AES-256-GCM under AUTH_STATE_KEY,
// bound to its event id).
import { randomUUID } from 'node:crypto';
import type { Client } from '@libsql/client';
import type { Logger } from 'pino';
import { SessionEvent } from '../shared/protocol.ts';
import { quarantineOutboxRow } from './quarantine.ts';
import { openValue, sealValue } from './whatsapp/auth-crypto.ts';

/** Stays well under SQLite's bound-parameter limit. */
const ACK_CHUNK = 500;
/** Events kept in memory for the reader at most; past this (the hub is away) they are read back from the store. */
const TAIL_MAX = 1_000;

export type OutboxEntry = { seq: number; id: string; sessionId: string; at: number; event: SessionEvent };

export type Outbox = {
  /**
   * Stores an event durably and returns it with its id; resolves only after the write is committed.
   * With a caller-chosen `id` (events WhatsApp may redeliver) an identical unacked event is not stored
   * twice, and null is returned.
   */
  add(sessionId: string, event: SessionEvent, options?: { id?: string; at?: number }): Promise<OutboxEntry | null>;
  /** Unacked events after `afterSeq`, oldest first: `limit` of them, fewer only when no more are stored. */
  pending(afterSeq?: number, limit?: number): Promise<OutboxEntry[]>;
  /** Forgets events the hub has acked. */
  ack(ids: readonly string[]): Promise<void>;
  count(): Promise<number>;
  /** How many events wait for the hub's ack, and when the oldest of them was emitted (null when none). */
  backlog(): Promise<{ count: number; oldestAt: number | null }>;
};

const rowKey = (id: string) => `outbox\n${id}`;

/**
 * The event of a stored row: sealed bytes, or plain JSON text as stores written before sealing hold it.
 * A row that no longer opens or parses (another key, a changed schema) says why instead.
 */
function readEvent(key: Buffer, id: string, stored: unknown): { event: SessionEvent } | { unreadable: string } {
  let json: string;
  try {
    json = typeof stored === 'string' ? stored : openValue(key, rowKey(id), new Uint8Array(stored as ArrayBuffer));
  } catch {
    return { unreadable: 'does not open under AUTH_STATE_KEY (sealed with another key, or damaged)' };
  }
  try {
    const parsed = SessionEvent.safeParse(JSON.parse(json));
    return parsed.success ? { event: parsed.data } : { unreadable: 'not a known event (an older format)' };
  } catch {
    return { unreadable: 'not JSON (an older format, or damaged)' };
  }
}

export type OutboxOptions = {
  /** The owner of the rows: a store shared by several connectors gives each only its own events. */
  connectorId: string;
  logger: Logger;
  newId?: () => string;
};

export function createOutbox(db: Client, key: Buffer, { connectorId, logger, newId = randomUUID }: OutboxOptions): Outbox {
  const log = logger.child({ module: 'outbox' });
  /**
   * The events stored since a read found every row, not yet handed to a reader: the pump takes them from here
   * instead of reading back (and opening and parsing) what was just written. Null until a read finds every
   * row with no store finishing meanwhile, and again when it outgrows TAIL_MAX. `read` is the last seq that
   * read found; `after` the last seq handed out from memory.
   */
  let tail: { read: number; after: number; entries: OutboxEntry[] } | null = null;
  /**
   * Stored events whose store finished after the reader was handed a later one (commits finishing out of
   * order): handed out first by the next read, so none is skipped; the hub stores each id once.
   */
  const late: OutboxEntry[] = [];
  /** Stores finished so far: a read during which one finished cannot say the tail is complete. */
  let stored = 0;

  function remember(entry: OutboxEntry): void {
    stored++;
    if (!tail || entry.seq <= tail.read) return;
    if (entry.seq <= tail.after) {
      late.push(entry);
      return;
    }
    const { entries } = tail;
    let at = entries.length;
    while (at > 0 && entries[at - 1]!.seq > entry.seq) at--;
    entries.splice(at, 0, entry);
    if (entries.length > TAIL_MAX) tail = null;
  }

  /** What the tail holds after `afterSeq`, or null when the store must be read. */
  function fromTail(afterSeq: number, limit: number): OutboxEntry[] | null {
    if (!tail || afterSeq < tail.after) return null;
    const handed = late.splice(0, limit);
    const fresh = tail.entries.splice(0, limit - handed.length).filter((e) => e.seq > afterSeq);
    if (fresh.length > 0) tail.after = fresh.at(-1)!.seq;
    return [...handed, ...fresh];
  }

  /** Moves unreadable rows aside: kept where they were, they would stall the pump and every flush. */
  async function quarantine(rows: { seq: number; id: string; sessionId: string; reason: string }[]): Promise<void> {
    const at = Date.now();
    await db.batch(rows.flatMap((r) => quarantineOutboxRow(r.seq, r.reason, at)), 'write');
    log.error(
      { count: rows.length, rows: rows.slice(0, 20).map(({ id, sessionId, reason }) => ({ id, sessionId, reason })) },
      'outbox rows that cannot be read were moved to the quarantine table and will not be sent (was AUTH_STATE_KEY changed?)',
    );
  }

  return {
    async add(sessionId, event, { id = newId(), at = Date.now() } = {}) {
      const result = await db.execute({
        sql: 'INSERT INTO outbox (connector_id, id, session_id, at, event) VALUES (?, ?, ?, ?, ?) ON CONFLICT (connector_id, id) DO NOTHING',
        args: [connectorId, id, sessionId, at, sealValue(key, rowKey(id), JSON.stringify(event))],
      });
      if (result.rowsAffected === 0) return null;
      const entry = { seq: Number(result.lastInsertRowid), id, sessionId, at, event };
      remember(entry);
      return entry;
    },
    async pending(afterSeq = 0, limit = 500) {
      const kept = fromTail(afterSeq, limit);
      if (kept) return kept;
      const storedBefore = stored;
      // Late events the store would not hand out again (their seq is behind the reader's) go first.
      const entries: OutboxEntry[] = late.splice(0).filter((e) => e.seq <= afterSeq);
      if (entries.length >= limit) return entries;
      let after = afterSeq;
      for (;;) {
        const page = limit - entries.length;
        const result = await db.execute({
          sql: 'SELECT seq, id, session_id, at, event FROM outbox WHERE connector_id = ? AND seq > ? ORDER BY seq LIMIT ?',
          args: [connectorId, after, page],
        });
        const unreadable: { seq: number; id: string; sessionId: string; reason: string }[] = [];
        for (const row of result.rows) {
          const seq = Number(row.seq);
          const id = String(row.id);
          const sessionId = String(row.session_id);
          const read = readEvent(key, id, row.event);
          if ('event' in read) entries.push({ seq, id, sessionId, at: Number(row.at), event: read.event });
          else unreadable.push({ seq, id, sessionId, reason: read.unreadable });
          after = seq;
        }
        if (unreadable.length > 0) await quarantine(unreadable);
        // Fewer than `limit` only when no more rows follow (the pump stops on a short read): rows set aside as
        // unreadable are made up for from the rows after them.
        if (entries.length >= limit) return entries;
        if (result.rows.length < page) {
          // Every row is read: from here on what is stored is kept for the reader, unless a store finished
          // during the read (its row may have been committed after the read and stored before this line).
          if (stored === storedBefore) tail = { read: after, after, entries: [] };
          return entries;
        }
      }
    },
    async ack(ids) {
      // An event acked before the reader took it (the hub stored a resend of it) is not handed out again.
      if (tail?.entries.length || late.length) {
        const acked = new Set(ids);
        if (tail) tail.entries = tail.entries.filter((e) => !acked.has(e.id));
        late.splice(0, late.length, ...late.filter((e) => !acked.has(e.id)));
      }
      for (let i = 0; i < ids.length; i += ACK_CHUNK) {
        const chunk = ids.slice(i, i + ACK_CHUNK);
        await db.execute({ sql: `DELETE FROM outbox WHERE connector_id = ? AND id IN (${chunk.map(() => '?').join(',')})`, args: [connectorId, ...chunk] });
      }
    },
    async count() {
      const result = await db.execute({ sql: 'SELECT count(*) AS n FROM outbox WHERE connector_id = ?', args: [connectorId] });
      return Number(result.rows[0]?.n ?? 0);
    },
    async backlog() {
      const result = await db.execute({ sql: 'SELECT count(*) AS n, min(at) AS oldest FROM outbox WHERE connector_id = ?', args: [connectorId] });
      const oldest = result.rows[0]?.oldest;
      return { count: Number(result.rows[0]?.n ?? 0), oldestAt: oldest === null || oldest === undefined ? null : Number(oldest) };
    },
  };
}
