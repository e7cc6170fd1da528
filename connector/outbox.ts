// The durable event outbox: every event is written here before it is sent to the hub and deleted only
// when the hub acks it, so a crash or a dropped link never loses one (at-least-once; the hub dedupes by id).
import { randomUUID } from 'node:crypto';
import type { Client } from '@libsql/client';
import { SessionEvent } from '../shared/protocol.ts';

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
  /** Unacked events after `afterSeq`, oldest first. */
  pending(afterSeq?: number, limit?: number): Promise<OutboxEntry[]>;
  /** Forgets events the hub has acked. */
  ack(ids: readonly string[]): Promise<void>;
  count(): Promise<number>;
};

export function createOutbox(db: Client, newId: () => string = randomUUID): Outbox {
  return {
    async add(sessionId, event, { id = newId(), at = Date.now() } = {}) {
      const result = await db.execute({
        sql: 'INSERT INTO outbox (id, session_id, at, event) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
        args: [id, sessionId, at, JSON.stringify(event)],
      });
      if (result.rowsAffected === 0) return null;
      return { seq: Number(result.lastInsertRowid), id, sessionId, at, event };
    },
    async pending(afterSeq = 0, limit = 500) {
      const result = await db.execute({
        sql: 'SELECT seq, id, session_id, at, event FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?',
        args: [afterSeq, limit],
      });
      const entries: OutboxEntry[] = [];
      for (const row of result.rows) {
        // A row that no longer parses (schema changed under it) would block the queue forever; skip it.
        const parsed = SessionEvent.safeParse(JSON.parse(String(row.event)));
        if (!parsed.success) continue;
        entries.push({ seq: Number(row.seq), id: String(row.id), sessionId: String(row.session_id), at: Number(row.at), event: parsed.data });
      }
      return entries;
    },
    async ack(ids) {
      for (let i = 0; i < ids.length; i += ACK_CHUNK) {
        const chunk = ids.slice(i, i + ACK_CHUNK);
        await db.execute({ sql: `DELETE FROM outbox WHERE id IN (${chunk.map(() => '?').join(',')})`, args: chunk });
      }
    },
    async count() {
      const result = await db.execute('SELECT count(*) AS n FROM outbox');
      return Number(result.rows[0]?.n ?? 0);
    },
  };
}
