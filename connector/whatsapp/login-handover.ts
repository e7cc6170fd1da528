// A session the hub moved here from another connector (failover, drain, a move by hand) brings its login
// along: on a shared store (CONNECTOR_DB_URL) its rows change owner, in one transaction, to this connector.
// The old connector then no longer lists it as held, so coming back it does not ask for it again.
import type { Client, InStatement } from '@libsql/client';

/** The rows that make a running login: creds and keys, the applied auth epoch, a hold, recent messages for retries. */
const SESSION_TABLES = ['auth_state', 'session_epoch', 'session_hold', 'recent_message'] as const;

export type LoginHandover = {
  /** Takes the session's login over from the connector that stored it last; its id, or null if none had to be. */
  adopt(sessionId: string): Promise<string | null>;
};

export function createLoginHandover(db: Client, connectorId: string): LoginHandover {
  return {
    async adopt(sessionId) {
      const owners = await db.execute({
        sql: "SELECT connector_id FROM auth_state WHERE session_id = ? AND kind = 'creds' ORDER BY connector_id = ? DESC",
        args: [sessionId, connectorId],
      });
      const first = owners.rows[0];
      // Ours already (or nobody's: a new login starts here): nothing to take. A login of ours is never
      // replaced by another copy, since only one connector at a time is given a session.
      if (!first || String(first.connector_id) === connectorId) return null;
      const from = String(first.connector_id);
      const statements: InStatement[] = SESSION_TABLES.flatMap((table) => [
        { sql: `DELETE FROM ${table} WHERE connector_id = ? AND session_id = ?`, args: [connectorId, sessionId] },
        { sql: `UPDATE ${table} SET connector_id = ? WHERE connector_id = ? AND session_id = ?`, args: [connectorId, from, sessionId] },
      ]);
      await db.batch(statements, 'write');
      return from;
    },
  };
}
