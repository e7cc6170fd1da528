// Held writes in the group commit, on a real libSQL file: held under a key until a join under that key
// carries them into its own transaction (all or nothing), or a release sends them on alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitGroup } from './commit-group.ts';
import { openConnectorDb, type Client } from './db.ts';

describe('CommitGroup held writes', () => {
  let dir: string;
  let db: Client;
  const insert = (k: string) => ({ sql: 'INSERT INTO t (k) VALUES (?)', args: [k] });
  const present = async (...keys: string[]) => {
    const rows = await db.execute({ sql: `SELECT k FROM t WHERE k IN (${keys.map(() => '?').join(',')}) ORDER BY k`, args: keys });
    return rows.rows.map((r) => String(r.k));
  };
  /** Lets the group's scheduled commit (setImmediate) run, and a turn more. */
  const turns = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kabar-commit-hold-'));
    db = await openConnectorDb(`file:${join(dir, 'store.db')}`);
    await db.execute('CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT NOT NULL UNIQUE)');
  });

  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds writes until a join under the same key carries them: one transaction, each caller its own results', async () => {
    const grouped = new CommitGroup(db);
    const held = grouped.hold('s1', () => Promise.all([grouped.execute(insert('h1')), grouped.batch([insert('h2')], 'write')]));
    const other = grouped.execute(insert('o1'));
    await other;
    await turns();
    expect(await present('h1', 'h2')).toEqual([]);
    expect(grouped.holds('s1')).toBe(true);
    const commitsBefore = grouped.stats.commits;
    const joined = await grouped.join('s1', () => grouped.batch([insert('j1')], 'write'));
    const [one, two] = await held;
    expect(grouped.stats.commits - commitsBefore).toBe(1);
    expect(grouped.holds('s1')).toBe(false);
    expect(one.rowsAffected).toBe(1);
    expect(two).toHaveLength(1);
    expect(joined).toHaveLength(1);
    expect(await present('h1', 'h2', 'j1')).toEqual(['h1', 'h2', 'j1']);
  });

  it('leaves writes held under another key alone, and release commits what no join carried', async () => {
    const grouped = new CommitGroup(db);
    const held = grouped.hold('s2', () => grouped.execute(insert('r1')));
    await grouped.join('s3', () => grouped.execute(insert('r2')));
    expect(await present('r1', 'r2')).toEqual(['r2']);
    grouped.release('s2');
    await expect(held).resolves.toMatchObject({ rowsAffected: 1 });
    expect(await present('r1')).toEqual(['r1']);
    grouped.release('s2');
    expect(grouped.holds('s2')).toBe(false);
  });

  it('fails the held writes with a join that fails, and commits none of them', async () => {
    const grouped = new CommitGroup(db);
    const held = grouped.hold('s4', () => grouped.execute(insert('f1')));
    // 'h1' is taken: the join's own write fails, and the transaction with it.
    await expect(grouped.join('s4', () => grouped.execute(insert('h1')))).rejects.toThrow(/UNIQUE/);
    await expect(held).rejects.toThrow(/UNIQUE/);
    expect(grouped.holds('s4')).toBe(false);
    // A later join under the key carries nothing of them.
    await grouped.join('s4', () => grouped.execute(insert('f2')));
    expect(await present('f1', 'f2')).toEqual(['f2']);
  });

  it('fails a held write that fails on its own at release, and only that caller', async () => {
    const grouped = new CommitGroup(db);
    const bad = grouped.hold('s5', () => grouped.execute(insert('h2')));
    const good = grouped.execute(insert('g1'));
    grouped.release('s5');
    await expect(bad).rejects.toThrow(/UNIQUE/);
    await expect(good).resolves.toMatchObject({ rowsAffected: 1 });
  });
});
