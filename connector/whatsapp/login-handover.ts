// A session the hub moved here from another connector (failover, drain, a move by hand) brings its login
// along: on a shared store (CONNECTOR_DB_URL) its rows change owner, in one transaction, to this connector.
// The old connector then no longer lists it as held, so coming back it does not ask for it again.
// Its outbound queue and message statuses are keyed by session alone and need no handing over.
import type { Client, InStatement } from '@libsql/client';

/** The rows that make a running login: creds and keys, the applied auth epoch, a hold, recent messages for retries. */
const SESSION_TABLES = ['auth_state', 'session_epoch', 'session_hold', 'recent_message'] as const;

/**
 * The media the session received still to fetch comes too: only its holder can ask the phone for expired
 * media again, and the jobs would otherwise wait for the old connector to come back. Each job is a message
 * of its own, so any of ours (from an earlier time here) are kept, and one of the same message is kept once.
 * A job the old connector is running meanwhile finds its row no longer its own before it uploads or reports,
 * and stops; this one writes the same media id and event id, so the message is stored once either way.
 */
const mediaJobsOf = (sessionId: string, from: string, to: string): InStatement[] => [
  { sql: 'UPDATE OR IGNORE media_job SET connector_id = ? WHERE connector_id = ? AND session_id = ?', args: [to, from, sessionId] },
  { sql: 'DELETE FROM media_job WHERE connector_id = ? AND session_id = ?', args: [from, sessionId] },
];

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
      const statements: InStatement[] = [
        ...SESSION_TABLES.flatMap((table) => [
          { sql: `DELETE FROM ${table} WHERE connector_id = ? AND session_id = ?`, args: [connectorId, sessionId] },
          { sql: `UPDATE ${table} SET connector_id = ? WHERE connector_id = ? AND session_id = ?`, args: [connectorId, from, sessionId] },
        ]),
        ...mediaJobsOf(sessionId, from, connectorId),
      ];
      await db.batch(statements, 'write');
      return from;
    },
  };
}
