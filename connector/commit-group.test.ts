// Group commit on a real libSQL file: writes of one turn share a transaction, each caller gets its own
// results and errors, and a burst of sends through real Baileys commits far less often than it writes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { DurableStore } from './durable-store.ts';
import { CommitGroup } from './commit-group.ts';
import { openConnectorDb, type Client } from './db.ts';
import { pair, sendText, useConnectorStack, type Stack } from './test-stack.ts';

/** The real client, counting the transactions and autocommitted writes that reach it. */
function counting(db: Client): { db: Client; commits: () => number } {
  let commits = 0;
  const spy = Object.create(null) as Client;
  for (const name of ['execute', 'batch', 'migrate', 'transaction', 'executeMultiple', 'sync', 'close', 'reconnect'] as const) {
    (spy as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      if (name === 'batch' && args[1] === 'write') commits++;
      if (name === 'execute') {
        const stmt = args[0] as string | { sql: string };
        if (/^\s*(insert|update|delete|replace)\b/i.test(typeof stmt === 'string' ? stmt : stmt.sql)) commits++;
      }
      return (db[name] as (...a: unknown[]) => unknown).apply(db, args);
    };
  }
  Object.defineProperty(spy, 'closed', { get: () => db.closed });
  Object.defineProperty(spy, 'protocol', { get: () => db.protocol });
  return { db: spy, commits: () => commits };
}

describe('CommitGroup', () => {
  let dir: string;
  let db: Client;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kabar-commit-group-'));
    db = await openConnectorDb(`file:${join(dir, 'store.db')}`);
    await db.execute('CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT NOT NULL UNIQUE)');
  });

  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the writes asked for in one turn as one transaction, each caller with its own results', async () => {
    const { db: spied, commits } = counting(db);
    const grouped = new CommitGroup(spied);
    const inserts = Array.from({ length: 20 }, (_, i) => grouped.execute({ sql: 'INSERT INTO t (k) VALUES (?) ON CONFLICT (k) DO NOTHING', args: [`a${i}`] }));
    const pair = grouped.batch([{ sql: 'INSERT INTO t (k) VALUES (?)', args: ['b1'] }, { sql: 'INSERT INTO t (k) VALUES (?)', args: ['b2'] }], 'write');
    const results = await Promise.all(inserts);
    expect(commits()).toBe(1);
    expect(results.map((r) => r.rowsAffected)).toEqual(Array(20).fill(1));
    // Each insert has its own row id, in the order the writes were asked for.
    const ids = results.map((r) => Number(r.lastInsertRowid));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(20);
    expect((await pair).map((r) => r.rowsAffected)).toEqual([1, 1]);
    const again = await grouped.execute({ sql: 'INSERT INTO t (k) VALUES (?) ON CONFLICT (k) DO NOTHING', args: ['a3'] });
    expect(again.rowsAffected).toBe(0);
  });

  it('fails only the caller whose write fails; the others in its group are committed', async () => {
    const grouped = new CommitGroup(db);
    const good = grouped.execute({ sql: 'INSERT INTO t (k) VALUES (?)', args: ['c1'] });
    const bad = grouped.execute({ sql: 'INSERT INTO t (k) VALUES (?)', args: ['b1'] }); // taken above: UNIQUE fails
    const alsoGood = grouped.batch([{ sql: 'INSERT INTO t (k) VALUES (?)', args: ['c2'] }], 'write');
    await expect(bad).rejects.toThrow(/UNIQUE/);
    await expect(good).resolves.toMatchObject({ rowsAffected: 1 });
    await expect(alsoGood).resolves.toHaveLength(1);
    const rows = await db.execute("SELECT k FROM t WHERE k IN ('c1', 'c2') ORDER BY k");
    expect(rows.rows.map((r) => r.k)).toEqual(['c1', 'c2']);
  });

  it('passes reads through at once, and a caller that awaited its write reads it', async () => {
    const { db: spied, commits } = counting(db);
    const grouped = new CommitGroup(spied);
    await grouped.execute({ sql: 'INSERT INTO t (k) VALUES (?)', args: ['d1'] });
    const read = await grouped.execute({ sql: 'SELECT count(*) AS n FROM t WHERE k = ?', args: ['d1'] });
    expect(Number(read.rows[0]!.n)).toBe(1);
    expect(commits()).toBe(1);
  });
});

describe('a burst of sends through a connector', () => {
  let simulator: Simulator;
  let stack: Stack;
  let commits: () => number = () => 0;
  const syncs = () => (stack.db as DurableStore).syncs;

  useConnectorStack('kabar-commit-burst-', (world) => ({ simulator, stack } = world), {
    overrides: {
      wrapDb: (store) => {
        const spy = counting(store);
        commits = spy.commits;
        return spy.db;
      },
    },
  });

  beforeAll(async () => {
    await pair(stack, simulator, 'alfa', '6281100000001');
    await pair(stack, simulator, 'bravo', '6281100000002');
  });

  it('commits its writes in groups and shares WAL fsyncs: fewer of each than two per send, where each send writes at least three times', async () => {
    // One message each first, so the burst measures sends on open Signal sessions, as steady traffic is.
    for (const sessionId of ['alfa', 'bravo']) expect((await sendText(stack.hub, sessionId, '6289900000001', 'hello')).ok).toBe(true);
    const before = { commits: commits(), syncs: syncs() };
    const sends = 24;
    const results = await Promise.all(
      Array.from({ length: sends }, (_, i) => sendText(stack.hub, i % 2 ? 'bravo' : 'alfa', '6289900000001', `burst ${i}`)),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    // Each send writes its Signal session, its recent message and its message.sent before it answers, and
    // waits for two of them to be durable in turn (its keys, then its record); its sent status follows.
    expect(commits() - before.commits).toBeLessThan(2 * sends);
    expect(syncs() - before.syncs).toBeLessThan(2 * sends);
  });
});
