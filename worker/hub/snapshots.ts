// The hub's memory of each session's latest status, QR and user, in the Durable Object's own SQLite, so
// status and QR reads answer at once without asking the connector, and survive the hub's eviction.
import type { ConnectedUser, SessionEvent } from '../../shared/protocol.ts';
import type { SessionStatus, StatusReason } from '../../shared/status.ts';
import { eventReason, presumedReason } from './status-reason.ts';

export interface Snapshot {
  status: SessionStatus;
  qrDataUrl: string | null;
  qrRaw: string | null;
  user: ConnectedUser | null;
  /** Why the status is not WORKING; null when WORKING. */
  reason: StatusReason | null;
  /** When the session entered this status. */
  since: number;
  /** While WORKING: when its connector last heard from WhatsApp (reported every SEEN_INTERVAL_MS at most). */
  lastSeenAt: number | null;
  updatedAt: number;
}

interface Row extends Record<string, SqlStorageValue> {
  status: string;
  qr_data_url: string | null;
  qr_raw: string | null;
  user_json: string | null;
  updated_at: number;
  connector_id: string | null;
  reason_json: string | null;
  since: number | null;
  last_seen_at: number | null;
}

function toSnapshot(row: Row): Snapshot {
  return {
    status: row.status as SessionStatus,
    qrDataUrl: row.qr_data_url,
    qrRaw: row.qr_raw,
    user: row.user_json ? (JSON.parse(row.user_json) as ConnectedUser) : null,
    reason: row.reason_json ? (JSON.parse(row.reason_json) as StatusReason) : null,
    since: row.since ?? row.updated_at,
    lastSeenAt: row.status === 'WORKING' ? row.last_seen_at : null,
    updatedAt: row.updated_at,
  };
}

export class Snapshots {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS snapshots (
      session_id TEXT PRIMARY KEY, status TEXT NOT NULL, qr_data_url TEXT, qr_raw TEXT, user_json TEXT,
      updated_at INTEGER NOT NULL, connector_id TEXT)`);
    // Hubs created before statuses had reasons get the columns in place; SQLite has no ADD COLUMN IF NOT EXISTS.
    const columns = new Set(sql.exec<{ name: string }>('PRAGMA table_info(snapshots)').toArray().map((c) => c.name));
    if (!columns.has('reason_json')) sql.exec('ALTER TABLE snapshots ADD COLUMN reason_json TEXT');
    if (!columns.has('since')) sql.exec('ALTER TABLE snapshots ADD COLUMN since INTEGER');
    if (!columns.has('last_seen_at')) sql.exec('ALTER TABLE snapshots ADD COLUMN last_seen_at INTEGER');
  }

  get(sessionId: string): Snapshot | null {
    const row = this.sql.exec<Row>('SELECT * FROM snapshots WHERE session_id = ?', sessionId).toArray()[0];
    return row ? toSnapshot(row) : null;
  }

  /** The latest `limit` sessions to change, for a dashboard's first view. */
  recent(limit: number): (Snapshot & { sessionId: string })[] {
    const rows = this.sql.exec<Row & { session_id: string }>('SELECT * FROM snapshots ORDER BY updated_at DESC LIMIT ?', limit).toArray();
    return rows.map((row) => ({ sessionId: row.session_id, ...toSnapshot(row) }));
  }

  /** Records the status the API expects next, e.g. STARTING after create, before the connector says so. */
  expect(sessionId: string, status: SessionStatus, at: number): void {
    const current = this.get(sessionId);
    const since = current?.status === status ? current.since : at;
    this.write(sessionId, { status, qrDataUrl: null, qrRaw: null, user: null, reason: presumedReason(status, at), since, updatedAt: at });
  }

  /**
   * A connector (re)attached and said what its session is doing now. Unchanged, the snapshot stays; changed,
   * the old QR is stale and goes. The user stays: the same stored login comes back as the same account.
   */
  reattach(sessionId: string, status: SessionStatus, at: number): void {
    const current = this.get(sessionId);
    if (current?.status === status) return;
    this.write(sessionId, { status, qrDataUrl: null, qrRaw: null, user: current?.user ?? null, reason: presumedReason(status, at), since: at, updatedAt: at });
  }

  apply(sessionId: string, event: SessionEvent, at: number): void {
    const current = this.get(sessionId);
    if (current && current.updatedAt > at) return; // a resent old event must not roll the state back
    if (event.name === 'qr') {
      const scanning = current?.status === 'SCAN_QR_CODE';
      this.write(sessionId, {
        status: 'SCAN_QR_CODE',
        qrDataUrl: event.qrDataUrl,
        qrRaw: event.qr,
        user: null,
        reason: (scanning && current.reason) || presumedReason('SCAN_QR_CODE', at),
        since: scanning ? current.since : at,
        updatedAt: at,
      });
    } else if (event.name === 'connection.update') {
      const keepQr = event.status === 'SCAN_QR_CODE' && current;
      const reason = eventReason(event, at);
      this.write(sessionId, {
        status: event.status,
        qrDataUrl: keepQr ? current.qrDataUrl : null,
        qrRaw: keepQr ? current.qrRaw : null,
        user: event.user ?? (event.status === 'WORKING' ? (current?.user ?? null) : null),
        reason,
        since: current?.status === event.status ? current.since : at,
        updatedAt: at,
      });
    }
  }

  /** When WhatsApp was last heard from, as the connector holding each session reports; kept here only. */
  seen(connectorId: string, sessions: readonly { sessionId: string; at: number }[]): void {
    for (const { sessionId, at } of sessions) {
      this.sql.exec(
        `UPDATE snapshots SET last_seen_at = max(coalesce(last_seen_at, 0), ?) WHERE session_id = ? AND connector_id = ? AND status = 'WORKING'`,
        at,
        sessionId,
        connectorId,
      );
    }
  }

  /** Which connector holds the session, as far as the hub knows; undefined when it has no record. */
  connectorOf(sessionId: string): string | null | undefined {
    const row = this.sql.exec<Row>('SELECT connector_id FROM snapshots WHERE session_id = ?', sessionId).toArray()[0];
    return row ? row.connector_id : undefined;
  }

  route(sessionId: string, connectorId: string | null, at: number): void {
    this.sql.exec(
      `INSERT INTO snapshots (session_id, status, reason_json, since, updated_at, connector_id) VALUES (?, 'STARTING', ?, ?, ?, ?)
       ON CONFLICT(session_id) DO UPDATE SET connector_id = excluded.connector_id`,
      sessionId,
      JSON.stringify(presumedReason('STARTING', at)),
      at,
      at,
      connectorId,
    );
  }

  delete(sessionId: string): void {
    this.sql.exec('DELETE FROM snapshots WHERE session_id = ?', sessionId);
  }

  private write(sessionId: string, s: Omit<Snapshot, 'lastSeenAt'>): void {
    this.sql.exec(
      `INSERT INTO snapshots (session_id, status, qr_data_url, qr_raw, user_json, reason_json, since, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(session_id) DO UPDATE SET status = excluded.status, qr_data_url = excluded.qr_data_url,
         qr_raw = excluded.qr_raw, user_json = excluded.user_json, reason_json = excluded.reason_json,
         since = excluded.since, updated_at = excluded.updated_at,
         -- a session that just opened was heard from then; an earlier WORKING's time would claim too much
         last_seen_at = CASE WHEN excluded.status != 'WORKING' THEN NULL
           WHEN snapshots.status = 'WORKING' THEN snapshots.last_seen_at ELSE excluded.updated_at END`,
      sessionId,
      s.status,
      s.qrDataUrl,
      s.qrRaw,
      s.user ? JSON.stringify(s.user) : null,
      s.reason ? JSON.stringify(s.reason) : null,
      s.since,
      s.updatedAt,
    );
  }
}
