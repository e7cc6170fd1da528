// The hub's memory of each session's latest status, QR and user, in the Durable Object's own SQLite, so
// status and QR reads answer at once without asking the connector, and survive the hub's eviction.
import type { ConnectedUser, SessionEvent } from '../../shared/protocol.ts';
import type { SessionStatus } from '../../shared/status.ts';

export interface Snapshot {
  status: SessionStatus;
  qrDataUrl: string | null;
  qrRaw: string | null;
  user: ConnectedUser | null;
  updatedAt: number;
}

interface Row extends Record<string, SqlStorageValue> {
  status: string;
  qr_data_url: string | null;
  qr_raw: string | null;
  user_json: string | null;
  updated_at: number;
  connector_id: string | null;
}

export class Snapshots {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS snapshots (
      session_id TEXT PRIMARY KEY, status TEXT NOT NULL, qr_data_url TEXT, qr_raw TEXT, user_json TEXT,
      updated_at INTEGER NOT NULL, connector_id TEXT)`);
  }

  get(sessionId: string): Snapshot | null {
    const row = this.sql.exec<Row>('SELECT * FROM snapshots WHERE session_id = ?', sessionId).toArray()[0];
    if (!row) return null;
    return {
      status: row.status as SessionStatus,
      qrDataUrl: row.qr_data_url,
      qrRaw: row.qr_raw,
      user: row.user_json ? (JSON.parse(row.user_json) as ConnectedUser) : null,
      updatedAt: row.updated_at,
    };
  }

  /** Records the status the API expects next, e.g. STARTING after create, before the connector says so. */
  expect(sessionId: string, status: SessionStatus, at: number): void {
    this.write(sessionId, { status, qrDataUrl: null, qrRaw: null, user: null, updatedAt: at });
  }

  /**
   * A connector (re)attached and said what its session is doing now. Unchanged, the snapshot stays; changed,
   * the old QR is stale and goes. The user stays: the same stored login comes back as the same account.
   */
  reattach(sessionId: string, status: SessionStatus, at: number): void {
    const current = this.get(sessionId);
    if (current?.status === status) return;
    this.write(sessionId, { status, qrDataUrl: null, qrRaw: null, user: current?.user ?? null, updatedAt: at });
  }

  apply(sessionId: string, event: SessionEvent, at: number): void {
    const current = this.get(sessionId);
    if (current && current.updatedAt > at) return; // a resent old event must not roll the state back
    if (event.name === 'qr') {
      this.write(sessionId, { status: 'SCAN_QR_CODE', qrDataUrl: event.qrDataUrl, qrRaw: event.qr, user: null, updatedAt: at });
    } else if (event.name === 'connection.update') {
      const keepQr = event.status === 'SCAN_QR_CODE' && current;
      this.write(sessionId, {
        status: event.status,
        qrDataUrl: keepQr ? current.qrDataUrl : null,
        qrRaw: keepQr ? current.qrRaw : null,
        user: event.user ?? (event.status === 'WORKING' ? (current?.user ?? null) : null),
        updatedAt: at,
      });
    }
  }

  /** Which connector holds the session, as far as the hub knows; undefined when it has no record. */
  connectorOf(sessionId: string): string | null | undefined {
    const row = this.sql.exec<Row>('SELECT connector_id FROM snapshots WHERE session_id = ?', sessionId).toArray()[0];
    return row ? row.connector_id : undefined;
  }

  route(sessionId: string, connectorId: string | null, at: number): void {
    this.sql.exec(
      `INSERT INTO snapshots (session_id, status, updated_at, connector_id) VALUES (?, 'STARTING', ?, ?)
       ON CONFLICT(session_id) DO UPDATE SET connector_id = excluded.connector_id`,
      sessionId,
      at,
      connectorId,
    );
  }

  delete(sessionId: string): void {
    this.sql.exec('DELETE FROM snapshots WHERE session_id = ?', sessionId);
  }

  private write(sessionId: string, s: Snapshot): void {
    this.sql.exec(
      `INSERT INTO snapshots (session_id, status, qr_data_url, qr_raw, user_json, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(session_id) DO UPDATE SET status = excluded.status, qr_data_url = excluded.qr_data_url,
         qr_raw = excluded.qr_raw, user_json = excluded.user_json, updated_at = excluded.updated_at`,
      sessionId,
      s.status,
      s.qrDataUrl,
      s.qrRaw,
      s.user ? JSON.stringify(s.user) : null,
      s.updatedAt,
    );
  }
}
