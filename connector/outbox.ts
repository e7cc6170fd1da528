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
      return { seq: Number(result.lastInsertRowid), id, sessionId, at, event };
    },
    async pending(afterSeq = 0, limit = 500) {
      const entries: OutboxEntry[] = [];
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
        if (entries.length >= limit || result.rows.length < page) return entries;
      }
    },
    async ack(ids) {
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
