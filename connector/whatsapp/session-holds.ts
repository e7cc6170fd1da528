// Sessions the connector stopped by itself (QR_MAX_ROUNDS unscanned QR rounds), kept in the connector DB so
// a restart does not start them again: only an explicit start (a higher `startEpoch`) releases one.
import type { Client } from '@libsql/client';

export const SESSION_HOLD_TABLE = `CREATE TABLE IF NOT EXISTS session_hold (
    connector_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    start_epoch INTEGER NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (connector_id, session_id)
  ) WITHOUT ROWID`;

/** A hold: the start epoch it was taken under (a start above it releases it), and the reason it reports. */
export type SessionHold = { startEpoch: number; reason: 'QR_TIMEOUT'; message: string };

export type SessionHolds = {
  get(sessionId: string): Promise<SessionHold | null>;
  set(sessionId: string, hold: SessionHold): Promise<void>;
  delete(sessionId: string): Promise<void>;
};

export function createSessionHolds(db: Client, connectorId: string): SessionHolds {
  return {
    async get(sessionId) {
      const result = await db.execute({
        sql: 'SELECT start_epoch, reason, message FROM session_hold WHERE connector_id = ? AND session_id = ?',
        args: [connectorId, sessionId],
      });
      const row = result.rows[0];
      return row ? { startEpoch: Number(row.start_epoch), reason: 'QR_TIMEOUT', message: String(row.message) } : null;
    },
    async set(sessionId, hold) {
      await db.execute({
        sql: `INSERT INTO session_hold (connector_id, session_id, start_epoch, reason, message) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (connector_id, session_id) DO UPDATE SET start_epoch = excluded.start_epoch, reason = excluded.reason, message = excluded.message`,
        args: [connectorId, sessionId, hold.startEpoch, hold.reason, hold.message],
      });
    },
    async delete(sessionId) {
      await db.execute({ sql: 'DELETE FROM session_hold WHERE connector_id = ? AND session_id = ?', args: [connectorId, sessionId] });
    },
  };
}
