// Rows of the connector DB that can no longer be read (sealed under another AUTH_STATE_KEY, written in an
// older format) are moved here whole, with the reason: left in place they would block every row behind
// them, and deleted they could not be recovered by an operator who restores the right key.
import type { Client, InStatement } from '@libsql/client';

export const QUARANTINE_TABLE = `CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connector_id TEXT NOT NULL,
    source TEXT NOT NULL,
    row_key TEXT NOT NULL,
    session_id TEXT NOT NULL,
    value BLOB,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
  )`;

export type QuarantinedRow = { source: string; rowKey: string; sessionId: string; value: unknown; reason: string; at: number };

/**
 * Moves one outbox row, in one transaction with the other statements of its batch. Copied by a SELECT so
 * that two readers quarantining the same row at once store it once.
 */
export function quarantineOutboxRow(seq: number, reason: string, at: number): InStatement[] {
  return [
    {
      sql: "INSERT INTO quarantine (connector_id, source, row_key, session_id, value, reason, at) SELECT connector_id, 'outbox', id, session_id, event, ?, ? FROM outbox WHERE seq = ?",
      args: [reason, at, seq],
    },
    { sql: 'DELETE FROM outbox WHERE seq = ?', args: [seq] },
  ];
}

export function quarantinePendingUnlink(connectorId: string, sessionId: string, device: string, reason: string, at: number): InStatement[] {
  const where = 'WHERE connector_id = ? AND session_id = ? AND device = ?';
  return [
    {
      sql: `INSERT INTO quarantine (connector_id, source, row_key, session_id, value, reason, at) SELECT connector_id, 'pending_unlink', device, session_id, creds, ?, ? FROM pending_unlink ${where}`,
      args: [reason, at, connectorId, sessionId, device],
    },
    { sql: `DELETE FROM pending_unlink ${where}`, args: [connectorId, sessionId, device] },
  ];
}

/** What is held in quarantine, oldest first (for operators and tests). */
export async function listQuarantine(db: Client): Promise<QuarantinedRow[]> {
  const result = await db.execute('SELECT source, row_key, session_id, value, reason, at FROM quarantine ORDER BY id');
  return result.rows.map((r) => ({
    source: String(r.source),
    rowKey: String(r.row_key),
    sessionId: String(r.session_id),
    value: r.value,
    reason: String(r.reason),
    at: Number(r.at),
  }));
}
