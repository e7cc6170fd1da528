// The local store's durability: commits made with synchronous=NORMAL are fsynced off the event loop
// (wal-sync.ts), and no writer hears of its commit before the fsync that covers it (durable-store.ts).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openConnectorDb } from './db.ts';
import { DurableStore } from './durable-store.ts';
import { WalSync, type WalFiles } from './wal-sync.ts';

/** File operations whose fsyncs wait until the test lets each one finish (or fail). */
function heldFiles() {
  const pending: { resolve: () => void; reject: (err: Error) => void }[] = [];
  const waiters: (() => void)[] = [];
  const counts = { fsyncs: 0, dirSyncs: 0, opens: 0 };
  let walExists = true;
  const files: WalFiles = {
    async open() {
      counts.opens++;
      if (!walExists) return null;
      return {
        sync: () =>
          new Promise<void>((resolve, reject) => {
            counts.fsyncs++;
            pending.push({ resolve, reject });
            waiters.splice(0).forEach((wake) => wake());
          }),
        close: async () => {},
      };
    },
    async syncDir() {
      counts.dirSyncs++;
    },
  };
  return {
    files,
    counts,
    setWalExists: (exists: boolean) => (walExists = exists),
    /** Resolves once an fsync is waiting to be let through. */
    started: () => (pending.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    finish: () => pending.shift()!.resolve(),
    fail: (err: Error) => pending.shift()!.reject(err),
  };
}

/** Whether `promise` has settled, read after the microtasks already queued have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('WalSync', () => {
  it('answers a caller only after an fsync that began after its call, shared by all who asked meanwhile', async () => {
    const held = heldFiles();
    const wal = new WalSync('/nowhere/db-wal', held.files);
    const first = wal.sync();
    await held.started();
    const later = Array.from({ length: 10 }, () => wal.sync());
    held.finish();
    await first;
    // The fsync that answered `first` may have begun before the later commits were written.
    expect(await settled(Promise.all(later))).toBe(false);
    await held.started();
    held.finish();
    await Promise.all(later);
    expect(held.counts.fsyncs).toBe(2);
  });

  it('rejects the callers of a failed fsync and tries again for the next', async () => {
    const held = heldFiles();
    const wal = new WalSync('/nowhere/db-wal', held.files);
    const failing = wal.sync();
    await held.started();
    held.fail(new Error('EIO'));
    await expect(failing).rejects.toThrow('EIO');
    const next = wal.sync();
    await held.started();
    held.finish();
    await expect(next).resolves.toBeUndefined();
  });

  it('syncs the directory once when it opens the WAL, and opens it again only after a reset', async () => {
    const held = heldFiles();
    const wal = new WalSync('/nowhere/db-wal', held.files);
    held.setWalExists(false);
    await wal.sync();
    expect(held.counts).toEqual({ fsyncs: 0, dirSyncs: 0, opens: 1 });
    held.setWalExists(true);
    for (let i = 0; i < 3; i++) {
      const done = wal.sync();
      await held.started();
      held.finish();
      await done;
    }
    expect(held.counts).toEqual({ fsyncs: 3, dirSyncs: 1, opens: 2 });
    wal.reset();
    const done = wal.sync();
    await held.started();
    held.finish();
    await done;
    expect(held.counts).toEqual({ fsyncs: 4, dirSyncs: 2, opens: 3 });
  });
});

describe('DurableStore', () => {
  let dir: string;
  let raw: Client;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kabar-durable-'));
    raw = createClient({ url: `file:${join(dir, 'store.db')}`, concurrency: 1 });
    await raw.execute('PRAGMA journal_mode = WAL');
    await raw.execute('CREATE TABLE t (v TEXT)');
  });

  afterEach(() => {
    raw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells a writer of its commit only after the fsync, and a reader at once', async () => {
    const held = heldFiles();
    const store = new DurableStore(raw, new WalSync(join(dir, 'store.db-wal'), held.files));
    const writes = [store.execute({ sql: 'INSERT INTO t VALUES (?)', args: ['a'] }), store.batch([{ sql: 'INSERT INTO t VALUES (?)', args: ['b'] }], 'write')];
    await held.started();
    expect(await settled(Promise.all(writes))).toBe(false);
    // Committed (visible) already, just not yet known durable: a read does not wait for the disk.
    expect((await store.execute('SELECT count(*) AS n FROM t')).rows[0]?.n).toBe(2);
    expect((await store.batch(['SELECT v FROM t ORDER BY v'], 'read'))[0]?.rows.map((r) => r.v)).toEqual(['a', 'b']);
    expect((await store.execute('PRAGMA table_info(t)')).rows).toHaveLength(1);
    held.finish();
    // The second write asked while the first fsync ran, so it waits for one of its own.
    await held.started();
    held.finish();
    await Promise.all(writes);
    expect(held.counts.fsyncs).toBe(2);
  });

  it('fails a write whose fsync failed, though its rows are in the file', async () => {
    const held = heldFiles();
    const store = new DurableStore(raw, new WalSync(join(dir, 'store.db-wal'), held.files));
    const write = store.execute({ sql: 'INSERT INTO t VALUES (?)', args: ['lost?'] });
    await held.started();
    held.fail(new Error('EIO'));
    await expect(write).rejects.toThrow('EIO');
  });
});

describe('the connector store on a local file', () => {
  it('runs in WAL mode with synchronous=NORMAL on one connection, and fsyncs the real WAL after a write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kabar-durable-open-'));
    try {
      const db = await openConnectorDb(`file:${join(dir, 'connector.db')}`);
      await Promise.all(Array.from({ length: 20 }, (_, i) => db.execute({ sql: 'INSERT INTO outbox (connector_id, id, session_id, at, event) VALUES (?, ?, ?, ?, ?)', args: ['c', `e${i}`, 's', i, 'x'] })));
      // 1 = NORMAL. Every call above ran on the same connection: with one per call, most would have had FULL.
      expect((await db.execute('PRAGMA synchronous')).rows[0]?.synchronous).toBe(1);
      expect((await db.execute('PRAGMA journal_mode')).rows[0]?.journal_mode).toBe('wal');
      expect(existsSync(join(dir, 'connector.db-wal'))).toBe(true);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
