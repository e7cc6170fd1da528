// The durable outbound queue of each session, in the connector store: messages accepted for a later, paced
// send, each with its WhatsApp id fixed at enqueue; whether the session's queue is paused and why; and the
// log of recent sends the pacing counts. Rows are keyed by session, not by connector: in a shared store the
// connector that holds a session now drains what another accepted before it died.
// Message contents are sealed like the outbox (AES-256-GCM under AUTH_STATE_KEY, bound to session and id).
import type { Client, InStatement } from '@libsql/client';
import { QueueItem } from '../../shared/protocol.ts';
import { openValue, sealValue } from '../whatsapp/auth-crypto.ts';

export const SEND_QUEUE_SCHEMA = [
  // state: queued -> sent | failed, or queued -> cancelled. A row stays `queued` while it is being sent (the
  // runner holds that mark in memory, for cancel): one a crash interrupted is sent again with the same id, which
  // the recipient's phone shows once. Earlier versions wrote `sending`; such rows are read as queued.
  `CREATE TABLE IF NOT EXISTS send_queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    item BLOB NOT NULL,
    state TEXT NOT NULL,
    enqueued_at INTEGER NOT NULL,
    done_at INTEGER,
    UNIQUE (session_id, message_id)
  )`,
  'CREATE INDEX IF NOT EXISTS send_queue_waiting ON send_queue (session_id, state, seq)',
  `CREATE TABLE IF NOT EXISTS send_queue_pause (
    session_id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    at INTEGER NOT NULL,
    until INTEGER
  ) WITHOUT ROWID`,
  // Every send of a session, queued or not, for the pacing's 24-hour windows.
  `CREATE TABLE IF NOT EXISTS send_log (
    session_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    recipient TEXT NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS send_log_session ON send_log (session_id, at)',
];

export type QueuedMessage = { seq: number; sessionId: string; messageId: string; item: QueueItem; state: 'queued' | 'sending'; enqueuedAt: number };
export type QueuePause = { code: string; message: string; at: number; until: number | null };
export type CancelOutcome = 'cancelled' | 'already-sent' | 'not-found';

const DAY_MS = 86_400_000;
/** Finished rows are kept this long, so a late cancel is told "already sent" rather than "unknown". */
const FINISHED_KEPT_MS = 7 * DAY_MS;

export type SendQueue = {
  /** Stores the items in one transaction; resolves once they are durable. Ids already queued are kept as they were. */
  enqueue(sessionId: string, items: readonly { messageId: string; item: QueueItem }[], at: number): Promise<void>;
  /** The oldest `limit` messages not yet finished, oldest first (one a crash interrupted comes first, as it was first). */
  upcoming(sessionId: string, limit: number): Promise<QueuedMessage[]>;
  /** The recipients of what is waiting, oldest first (for the ETA). */
  waiting(sessionId: string): Promise<string[]>;
  /**
   * Finishes a message; a `sent` one with a `loggedTo` recipient is also logged for the pacing, in the same
   * transaction (an unpaced session logs nothing, as its synchronous sends do not).
   */
  finish(sessionId: string, messageId: string, state: 'sent' | 'failed', at: number, loggedTo: string | null): Promise<void>;
  cancel(sessionId: string, messageId: string, at: number): Promise<CancelOutcome>;
  recipientOf(sessionId: string, messageId: string): Promise<string | null>;
  depth(sessionId: string): Promise<number>;
  /** Sessions with messages waiting. */
  sessionsWithWork(): Promise<string[]>;
  pause(sessionId: string, pause: QueuePause): Promise<void>;
  resume(sessionId: string): Promise<void>;
  pauseOf(sessionId: string): Promise<QueuePause | null>;
  /** Logs a send that did not come from the queue (a synchronous send), for the pacing. */
  logSend(sessionId: string, recipient: string, at: number): Promise<void>;
  /** Sends of the last 24 hours. */
  history(sessionId: string, now: number): Promise<{ at: number; to: string }[]>;
  prune(now: number): Promise<void>;
  /** Deletes everything of a removed session: its messages (finished ones too), its pause and its sends logged. */
  forget(sessionId: string): Promise<void>;
};

const rowKey = (sessionId: string, messageId: string) => `send_queue\n${sessionId}\n${messageId}`;

export function createSendQueue(db: Client, key: Buffer): SendQueue {
  const read = (row: Record<string, unknown>): QueuedMessage => {
    const sessionId = String(row.session_id);
    const messageId = String(row.message_id);
    const item = QueueItem.parse(JSON.parse(openValue(key, rowKey(sessionId, messageId), new Uint8Array(row.item as ArrayBuffer))));
    return { seq: Number(row.seq), sessionId, messageId, item, state: row.state as 'queued' | 'sending', enqueuedAt: Number(row.enqueued_at) };
  };

  return {
    async enqueue(sessionId, items, at) {
      await db.batch(
        items.map(({ messageId, item }) => ({
          sql: `INSERT INTO send_queue (session_id, message_id, recipient, item, state, enqueued_at) VALUES (?, ?, ?, ?, 'queued', ?)
                ON CONFLICT (session_id, message_id) DO NOTHING`,
          args: [sessionId, messageId, item.to, sealValue(key, rowKey(sessionId, messageId), JSON.stringify(item)), at],
        })),
        'write',
      );
    },
    async upcoming(sessionId, limit) {
      const result = await db.execute({
        sql: `SELECT seq, session_id, message_id, item, state, enqueued_at FROM send_queue
              WHERE session_id = ? AND state IN ('queued', 'sending') ORDER BY seq LIMIT ?`,
        args: [sessionId, limit],
      });
      return result.rows.map((row) => read(row as Record<string, unknown>));
    },
    async waiting(sessionId) {
      const result = await db.execute({
        sql: `SELECT recipient FROM send_queue WHERE session_id = ? AND state IN ('queued', 'sending') ORDER BY seq`,
        args: [sessionId],
      });
      return result.rows.map((r) => String(r.recipient));
    },
    async finish(sessionId, messageId, state, at, loggedTo) {
      const done: InStatement = { sql: `UPDATE send_queue SET state = ?, done_at = ? WHERE session_id = ? AND message_id = ? AND state IN ('queued', 'sending')`, args: [state, at, sessionId, messageId] };
      if (state !== 'sent' || loggedTo === null) {
        await db.execute(done);
        return;
      }
      await db.batch([done, { sql: 'INSERT INTO send_log (session_id, at, recipient) VALUES (?, ?, ?)', args: [sessionId, at, loggedTo] }], 'write');
    },
    async cancel(sessionId, messageId, at) {
      const updated = await db.execute({
        sql: `UPDATE send_queue SET state = 'cancelled', done_at = ? WHERE session_id = ? AND message_id = ? AND state = 'queued'`,
        args: [at, sessionId, messageId],
      });
      if (updated.rowsAffected > 0) return 'cancelled';
      const row = await db.execute({ sql: 'SELECT state FROM send_queue WHERE session_id = ? AND message_id = ?', args: [sessionId, messageId] });
      const state = row.rows[0]?.state;
      // A message cancelled before is gone from the queue as far as the caller can tell: cancelling is done.
      if (state === 'cancelled') return 'cancelled';
      return state === undefined ? 'not-found' : 'already-sent';
    },
    async recipientOf(sessionId, messageId) {
      const row = await db.execute({ sql: 'SELECT recipient FROM send_queue WHERE session_id = ? AND message_id = ?', args: [sessionId, messageId] });
      return row.rows[0] ? String(row.rows[0].recipient) : null;
    },
    async depth(sessionId) {
      const result = await db.execute({ sql: `SELECT count(*) AS n FROM send_queue WHERE session_id = ? AND state IN ('queued', 'sending')`, args: [sessionId] });
      return Number(result.rows[0]?.n ?? 0);
    },
    async sessionsWithWork() {
      const result = await db.execute(`SELECT DISTINCT session_id FROM send_queue WHERE state IN ('queued', 'sending')`);
      return result.rows.map((r) => String(r.session_id));
    },
    async pause(sessionId, { code, message, at, until }) {
      await db.execute({
        sql: `INSERT INTO send_queue_pause (session_id, code, message, at, until) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (session_id) DO UPDATE SET code = excluded.code, message = excluded.message, at = excluded.at, until = excluded.until`,
        args: [sessionId, code, message, at, until],
      });
    },
    async resume(sessionId) {
      await db.execute({ sql: 'DELETE FROM send_queue_pause WHERE session_id = ?', args: [sessionId] });
    },
    async pauseOf(sessionId) {
      const result = await db.execute({ sql: 'SELECT code, message, at, until FROM send_queue_pause WHERE session_id = ?', args: [sessionId] });
      const row = result.rows[0];
      return row ? { code: String(row.code), message: String(row.message), at: Number(row.at), until: row.until === null ? null : Number(row.until) } : null;
    },
    async logSend(sessionId, recipient, at) {
      await db.execute({ sql: 'INSERT INTO send_log (session_id, at, recipient) VALUES (?, ?, ?)', args: [sessionId, at, recipient] });
    },
    async history(sessionId, now) {
      const result = await db.execute({ sql: 'SELECT at, recipient FROM send_log WHERE session_id = ? AND at > ? ORDER BY at', args: [sessionId, now - DAY_MS] });
      return result.rows.map((r) => ({ at: Number(r.at), to: String(r.recipient) }));
    },
    async prune(now) {
      await db.batch(
        [
          { sql: 'DELETE FROM send_log WHERE at <= ?', args: [now - DAY_MS] },
          { sql: `DELETE FROM send_queue WHERE state IN ('sent', 'failed', 'cancelled') AND done_at <= ?`, args: [now - FINISHED_KEPT_MS] },
        ],
        'write',
      );
    },
    async forget(sessionId) {
      await db.batch(
        ['send_queue', 'send_queue_pause', 'send_log'].map((table) => ({ sql: `DELETE FROM ${table} WHERE session_id = ?`, args: [sessionId] })),
        'write',
      );
    },
  };
}
