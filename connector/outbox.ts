// The durable event outbox: every event is written here before it is sent to the hub and deleted only
// when the hub acks it, so a crash or a dropped link never loses one (at-least-once; the hub dedupes by id).
// Events carry message texts, so each is sealed like the auth state (AES-256-GCM under AUTH_STATE_KEY,
// bound to its event id).
import { randomUUID } from 'node:crypto';
import type { Client } from '@libsql/client';
import { SessionEvent } from '../shared/protocol.ts';
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
  /** Unacked events after `afterSeq`, oldest first. */
  pending(afterSeq?: number, limit?: number): Promise<OutboxEntry[]>;
  /** Forgets events the hub has acked. */
  ack(ids: readonly string[]): Promise<void>;
  count(): Promise<number>;
};

const rowKey = (id: string) => `outbox\n${id}`;

/**
 * The event of a stored row: sealed bytes, or plain JSON text as stores written before sealing hold it.
 * Null for a row that no longer opens or parses (another key, a changed schema): it would block the queue
 * forever, so it is skipped.
 */
function readEvent(key: Buffer, id: string, stored: unknown): SessionEvent | null {
  try {
    const json = typeof stored === 'string' ? stored : openValue(key, rowKey(id), new Uint8Array(stored as ArrayBuffer));
    const parsed = SessionEvent.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function createOutbox(db: Client, key: Buffer, newId: () => string = randomUUID): Outbox {
  return {
    async add(sessionId, event, { id = newId(), at = Date.now() } = {}) {
      const result = await db.execute({
        sql: 'INSERT INTO outbox (id, session_id, at, event) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
        args: [id, sessionId, at, sealValue(key, rowKey(id), JSON.stringify(event))],
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
        const id = String(row.id);
        const event = readEvent(key, id, row.event);
        if (event) entries.push({ seq: Number(row.seq), id, sessionId: String(row.session_id), at: Number(row.at), event });
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
