// The last authEpoch applied per session, kept in the connector DB so an epoch bump that arrives while
// the connector was down (in the welcome) still wipes the old login.
import type { Client } from '@libsql/client';

export type SessionEpochs = {
  get(sessionId: string): Promise<number | null>;
  set(sessionId: string, epoch: number): Promise<void>;
  delete(sessionId: string): Promise<void>;
};

export function createSessionEpochs(db: Client, connectorId: string): SessionEpochs {
  return {
    async get(sessionId) {
      const result = await db.execute({ sql: 'SELECT auth_epoch FROM session_epoch WHERE connector_id = ? AND session_id = ?', args: [connectorId, sessionId] });
      const row = result.rows[0];
      return row ? Number(row.auth_epoch) : null;
    },
    async set(sessionId, epoch) {
      await db.execute({
        sql: 'INSERT INTO session_epoch (connector_id, session_id, auth_epoch) VALUES (?, ?, ?) ON CONFLICT (connector_id, session_id) DO UPDATE SET auth_epoch = excluded.auth_epoch',
        args: [connectorId, sessionId, epoch],
      });
    },
    async delete(sessionId) {
      await db.execute({ sql: 'DELETE FROM session_epoch WHERE connector_id = ? AND session_id = ?', args: [connectorId, sessionId] });
    },
  };
}
