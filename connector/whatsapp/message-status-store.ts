// The last status reported of each message a session sent, kept in the connector DB: what decides, across
// restarts, that a status is reported once and never followed by an earlier one.
import type { Client } from '@libsql/client';
import type { OutgoingStatus } from './status-progress.ts';

export type MessageStatusStore = {
  last(sessionId: string, messageId: string): Promise<OutgoingStatus | null>;
  record(sessionId: string, messageId: string, status: OutgoingStatus, at: number): Promise<void>;
  /** Deletes the statuses of a removed session's messages. */
  forget(sessionId: string): Promise<void>;
};

const KNOWN = new Set<string>(['sent', 'delivered', 'read', 'failed']);

export function createMessageStatusStore(db: Client): MessageStatusStore {
  return {
    async last(sessionId, messageId) {
      const result = await db.execute({ sql: 'SELECT status FROM message_status WHERE session_id = ? AND message_id = ?', args: [sessionId, messageId] });
      const status = result.rows[0]?.status;
      return typeof status === 'string' && KNOWN.has(status) ? (status as OutgoingStatus) : null;
    },
    async record(sessionId, messageId, status, at) {
      await db.execute({
        sql: `INSERT INTO message_status (session_id, message_id, status, at) VALUES (?, ?, ?, ?)
              ON CONFLICT (session_id, message_id) DO UPDATE SET status = excluded.status, at = excluded.at`,
        args: [sessionId, messageId, status, at],
      });
    },
    async forget(sessionId) {
      await db.execute({ sql: 'DELETE FROM message_status WHERE session_id = ?', args: [sessionId] });
    },
  };
}
