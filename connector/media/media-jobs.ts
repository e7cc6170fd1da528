// The durable queue of received media still to fetch: a job is stored with its message (media keys
// included) before WhatsApp gets the receipt, and deleted only once its message.received event is in the
// outbox. Rows are sealed like the recent-message store (AES-256-GCM under AUTH_STATE_KEY, bound to the row)
// and owned by a connector id like every row of the store.
import type { Client } from '@libsql/client';
import { proto, type WAMessage } from '@whiskeysockets/baileys';
import type { SessionEvent } from '../../shared/protocol.ts';
import { openValue, sealValue } from '../whatsapp/auth-crypto.ts';

export const MEDIA_JOB_TABLE = `CREATE TABLE IF NOT EXISTS media_job (
    connector_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (connector_id, session_id, message_id)
  ) WITHOUT ROWID`;

export type IncomingEvent = Extract<SessionEvent, { name: 'message.received' }>;

export type MediaJob = {
  sessionId: string;
  messageId: string;
  /** The outbox id its event goes out under, fixed when the message arrived. */
  eventId: string;
  /** The event without `media`, which the job adds. */
  event: IncomingEvent;
  /** The message as WhatsApp sent it: key, media keys, direct path (updated by a re-upload). */
  message: WAMessage;
  attempts: number;
  nextAt: number;
};

export type MediaJobs = {
  /** Stores a job; a job already stored for the message (WhatsApp redelivered it) is kept as it is. */
  add(job: Omit<MediaJob, 'attempts' | 'nextAt'>, now: number): Promise<void>;
  /** Jobs whose time has come, soonest first; jobs that no longer open are skipped (and reported by `unreadable`). */
  due(now: number, limit: number): Promise<MediaJob[]>;
  /** When the next job not yet due is due, or null when none is waiting. */
  nextDue(): Promise<number | null>;
  /** Records a failed attempt (and the message, which a re-upload may have changed). */
  retryAt(job: MediaJob, nextAt: number): Promise<void>;
  remove(sessionId: string, messageId: string): Promise<void>;
  /** Whether the job is still stored: a job of a removed session is not, and must not go on. */
  has(sessionId: string, messageId: string): Promise<boolean>;
  /** Deletes every job of a removed session, and the message each holds. */
  forget(sessionId: string): Promise<void>;
  /** Jobs stored and not finished: due now or waiting for a retry. */
  count(): Promise<number>;
};

const rowKey = (sessionId: string, messageId: string) => `media-job\n${sessionId}\n${messageId}`;

function seal(key: Buffer, job: Pick<MediaJob, 'sessionId' | 'messageId' | 'eventId' | 'event' | 'message'>): Uint8Array {
  const message = Buffer.from(proto.WebMessageInfo.encode(proto.WebMessageInfo.fromObject(job.message)).finish()).toString('base64');
  return sealValue(key, rowKey(job.sessionId, job.messageId), JSON.stringify({ eventId: job.eventId, event: job.event, message }));
}

export function createMediaJobs(db: Client, key: Buffer, { connectorId, onUnreadable }: { connectorId: string; onUnreadable?: (sessionId: string, messageId: string) => void }): MediaJobs {
  return {
    async add(job, now) {
      await db.execute({
        sql: `INSERT INTO media_job (connector_id, session_id, message_id, attempts, next_at, value) VALUES (?, ?, ?, 0, ?, ?)
              ON CONFLICT (connector_id, session_id, message_id) DO NOTHING`,
        args: [connectorId, job.sessionId, job.messageId, now, seal(key, job)],
      });
    },
    async due(now, limit) {
      const result = await db.execute({
        sql: 'SELECT session_id, message_id, attempts, next_at, value FROM media_job WHERE connector_id = ? AND next_at <= ? ORDER BY next_at LIMIT ?',
        args: [connectorId, now, limit],
      });
      const jobs: MediaJob[] = [];
      for (const row of result.rows) {
        const sessionId = String(row.session_id);
        const messageId = String(row.message_id);
        try {
          const body = JSON.parse(openValue(key, rowKey(sessionId, messageId), new Uint8Array(row.value as ArrayBuffer))) as {
            eventId: string;
            event: IncomingEvent;
            message: string;
          };
          const message = proto.WebMessageInfo.decode(Buffer.from(body.message, 'base64')) as WAMessage;
          jobs.push({ sessionId, messageId, eventId: body.eventId, event: body.event, message, attempts: Number(row.attempts), nextAt: Number(row.next_at) });
        } catch {
          // Sealed under another key or damaged: it can never be run, and must not block the queue.
          onUnreadable?.(sessionId, messageId);
          await db.execute({ sql: 'DELETE FROM media_job WHERE connector_id = ? AND session_id = ? AND message_id = ?', args: [connectorId, sessionId, messageId] });
        }
      }
      return jobs;
    },
    async nextDue() {
      const result = await db.execute({ sql: 'SELECT min(next_at) AS at FROM media_job WHERE connector_id = ?', args: [connectorId] });
      const at = result.rows[0]?.at;
      return at === null || at === undefined ? null : Number(at);
    },
    async retryAt(job, nextAt) {
      await db.execute({
        sql: 'UPDATE media_job SET attempts = ?, next_at = ?, value = ? WHERE connector_id = ? AND session_id = ? AND message_id = ?',
        args: [job.attempts, nextAt, seal(key, job), connectorId, job.sessionId, job.messageId],
      });
    },
    async remove(sessionId, messageId) {
      await db.execute({ sql: 'DELETE FROM media_job WHERE connector_id = ? AND session_id = ? AND message_id = ?', args: [connectorId, sessionId, messageId] });
    },
    async has(sessionId, messageId) {
      const result = await db.execute({ sql: 'SELECT 1 FROM media_job WHERE connector_id = ? AND session_id = ? AND message_id = ?', args: [connectorId, sessionId, messageId] });
      return result.rows.length > 0;
    },
    async forget(sessionId) {
      await db.execute({ sql: 'DELETE FROM media_job WHERE connector_id = ? AND session_id = ?', args: [connectorId, sessionId] });
    },
    async count() {
      const result = await db.execute({ sql: 'SELECT count(*) AS n FROM media_job WHERE connector_id = ?', args: [connectorId] });
      return Number(result.rows[0]?.n ?? 0);
    },
  };
}
