import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Client } from './db.ts';
import { acquireLease } from './lease.ts';
import { useConnectorStore } from './test-store.ts';

let db: Client;
useConnectorStore('kabar-lease-', (store) => ({ db } = store));

const never = () => {
  throw new Error('lease lost unexpectedly');
};

describe('connector lease', () => {
  it('refuses a second holder while the first holds it, and frees it on release', async () => {
    // Another live process on this host (this test process stands for the second one).
    const first = await acquireLease(db, 'edge-1', { onLost: never, holder: `${hostname()}:${process.ppid}:first` });
    if (!first.ok) throw new Error('first holder refused');
    const second = await acquireLease(db, 'edge-1', { onLost: never, isAlive: () => true });
    expect(second).toMatchObject({ ok: false, holder: first.lease.holder });
    // Another connector id on the same store is not affected.
    const other = await acquireLease(db, 'edge-2', { onLost: never });
    expect(other.ok).toBe(true);
    await first.lease.release();
    if (other.ok) await other.lease.release();
    const third = await acquireLease(db, 'edge-1', { onLost: never });
    expect(third.ok).toBe(true);
    if (third.ok) await third.lease.release();
  });

  it('takes over at once from a holder on this host whose process is gone (a crash must not lock a restart out)', async () => {
    const dead = `${hostname()}:999999:dead`;
    await db.execute({ sql: 'INSERT INTO connector_lease (connector_id, holder, expires_at) VALUES (?, ?, ?)', args: ['edge-3', dead, Date.now() + 60_000] });
    const refused = await acquireLease(db, 'edge-3', { onLost: never, isAlive: () => true });
    expect(refused).toMatchObject({ ok: false, holder: dead });
    const taken = await acquireLease(db, 'edge-3', { onLost: never, isAlive: (pid) => pid !== 999999 });
    expect(taken.ok).toBe(true);
    if (taken.ok) await taken.lease.release();
  });

  it('takes over from an earlier run with the same pid on this host (a container restarted as pid 1 again)', async () => {
    await db.execute({
      sql: 'INSERT INTO connector_lease (connector_id, holder, expires_at) VALUES (?, ?, ?)',
      args: ['edge-6', `${hostname()}:${process.pid}:earlier`, Date.now() + 60_000],
    });
    const taken = await acquireLease(db, 'edge-6', { onLost: never, isAlive: () => true });
    expect(taken.ok).toBe(true);
    if (taken.ok) await taken.lease.release();
  });

  it('takes over the lease of another host only once it has expired', async () => {
    await db.execute({ sql: 'INSERT INTO connector_lease (connector_id, holder, expires_at) VALUES (?, ?, ?)', args: ['edge-4', 'other-host:12:x', 1_000] });
    expect(await acquireLease(db, 'edge-4', { onLost: never, now: () => 500 })).toMatchObject({ ok: false, holder: 'other-host:12:x' });
    const taken = await acquireLease(db, 'edge-4', { onLost: never, now: () => 2_000 });
    expect(taken.ok).toBe(true);
    if (taken.ok) await taken.lease.release();
  });

  it('tells its holder when a renewal finds the lease taken by another process', async () => {
    let lost!: (holder: string | null) => void;
    const lostTo = new Promise<string | null>((resolve) => (lost = resolve));
    const held = await acquireLease(db, 'edge-5', { onLost: (holder) => lost(holder), renewEveryMs: 20 });
    if (!held.ok) throw new Error('refused');
    await db.execute({ sql: "UPDATE connector_lease SET holder = 'thief:1:x' WHERE connector_id = 'edge-5'" });
    expect(await lostTo).toBe('thief:1:x');
    await held.lease.release();
  });
});
