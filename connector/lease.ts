// One running process per connector id and store. A second `npm start` in the same folder (or a second
// machine with the same CONNECTOR_ID on a shared store) must refuse to start instead of taking the hub
// link and the logins over: the lease row names the live holder and is renewed while it runs.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Client } from '@libsql/client';

export const LEASE_TABLE = `CREATE TABLE IF NOT EXISTS connector_lease (
    connector_id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  )`;

/** Exit code of a connector that refused to start (or stopped) because another process holds its lease. */
export const LEASE_HELD_EXIT_CODE = 75;

export type LeaseOptions = {
  /** A lease not renewed for this long is free (its holder died on another machine). */
  ttlMs?: number;
  renewEveryMs?: number;
  /** Called once if a renewal finds the lease taken by another process. */
  onLost: (holder: string | null) => void;
  now?: () => number;
  /** This process's holder name: host, pid and a random tag. */
  holder?: string;
  /** Whether a process of this host still runs (a holder that crashed here frees its lease at once). */
  isAlive?: (pid: number) => boolean;
};

export type Lease = { holder: string; release(): Promise<void> };

export type LeaseResult = { ok: true; lease: Lease } | { ok: false; holder: string; expiresAt: number };

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True for a holder on this host whose process is gone: a crash (SIGKILL) must not lock a restart out. A
 * holder with our own pid is an earlier run of this process (a container restarted as pid 1 again).
 */
function deadHereHolder(holder: string, isAlive: (pid: number) => boolean): boolean {
  const [host, pidText] = holder.split(':');
  const pid = Number(pidText);
  return host === hostname() && Number.isInteger(pid) && (pid === process.pid || !isAlive(pid));
}

export async function acquireLease(db: Client, connectorId: string, o: LeaseOptions): Promise<LeaseResult> {
  const ttlMs = o.ttlMs ?? 30_000;
  const now = o.now ?? Date.now;
  const holder = o.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const isAlive = o.isAlive ?? processAlive;

  const current = (await db.execute({ sql: 'SELECT holder, expires_at FROM connector_lease WHERE connector_id = ?', args: [connectorId] })).rows[0];
  const stale = current && deadHereHolder(String(current.holder), isAlive) ? String(current.holder) : '';
  const taken = await db.execute({
    sql: `INSERT INTO connector_lease (connector_id, holder, expires_at) VALUES (?, ?, ?)
          ON CONFLICT (connector_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
          WHERE connector_lease.expires_at < ? OR connector_lease.holder = ?`,
    args: [connectorId, holder, now() + ttlMs, now(), stale],
  });
  if (taken.rowsAffected === 0) {
    const row = (await db.execute({ sql: 'SELECT holder, expires_at FROM connector_lease WHERE connector_id = ?', args: [connectorId] })).rows[0];
    return { ok: false, holder: String(row?.holder ?? '?'), expiresAt: Number(row?.expires_at ?? 0) };
  }

  let released = false;
  const timer = setInterval(() => {
    void db
      .execute({ sql: 'UPDATE connector_lease SET expires_at = ? WHERE connector_id = ? AND holder = ?', args: [now() + ttlMs, connectorId, holder] })
      .then(
        async (renewed) => {
          if (renewed.rowsAffected > 0 || released) return;
          clearInterval(timer);
          const row = (await db.execute({ sql: 'SELECT holder FROM connector_lease WHERE connector_id = ?', args: [connectorId] })).rows[0];
          o.onLost(row ? String(row.holder) : null);
        },
        // A failed renewal (the store unreachable for a moment) is retried by the next tick; the lease only
        // passes to another process after ttlMs without one.
        () => {},
      );
  }, o.renewEveryMs ?? Math.floor(ttlMs / 3));
  timer.unref();

  return {
    ok: true,
    lease: {
      holder,
      async release() {
        released = true;
        clearInterval(timer);
        await db.execute({ sql: 'DELETE FROM connector_lease WHERE connector_id = ? AND holder = ?', args: [connectorId, holder] });
      },
    },
  };
}
