import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, LibsqlBatchError, type Client, type InStatement, type ResultSet } from '@libsql/client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LocalFileClient } from './local-file-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'kabar-local-file-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const opened: Client[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});
// journal_mode cannot change inside a transaction: it is set on its own, as db.ts does.
const setUp = async (client: Client) => {
  await client.execute('PRAGMA journal_mode = WAL');
  await client.batch(['CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER, r REAL, b BLOB)'], 'write');
};
const fresh = async (options?: ConstructorParameters<typeof LocalFileClient>[1]) => {
  const path = join(dir, `db-${files++}.db`);
  const client = new LocalFileClient(path, options);
  opened.push(client);
  await setUp(client);
  return { path, client };
};
/** @libsql/client's own file driver on a file of its own, set up the same way. */
const reference = async () => {
  const client = createClient({ url: `file:${join(dir, `db-${files++}.db`)}`, concurrency: 1 });
  opened.push(client);
  await setUp(client);
  return client;
};
/** Everything a caller can observe of a result: its fields, and each row by index, by name and as keys. */
const observed = (rs: ResultSet) => ({
  columns: rs.columns,
  columnTypes: rs.columnTypes,
  rowsAffected: rs.rowsAffected,
  lastInsertRowid: rs.lastInsertRowid,
  rows: rs.rows.map((row) => ({ length: row.length, byIndex: Array.from({ length: row.length }, (_, i) => row[i]), keys: Object.keys(row), named: { ...row } })),
  json: JSON.stringify(rs),
});
const text = (value: unknown) => Buffer.from(value as ArrayBuffer).toString();

describe('the local file client', () => {
  it('gives what @libsql/client gives for the same statements: rows by index and by name, columns, counts, rowids as bigint', async () => {
    const { client: local } = await fresh();
    const theirs = await reference();
    const statements: InStatement[] = [
      { sql: 'INSERT INTO t (name, n, r, b) VALUES (?, ?, ?, ?)', args: ['a', 7, 1.5, new Uint8Array([1, 2, 3])] },
      { sql: 'INSERT INTO t (name, n, r) VALUES (:name, $n, @r)', args: { ':name': 'b', $n: 8n, r: 2 } },
      { sql: 'UPDATE t SET n = n + 1 WHERE n > ?', args: [0] },
      'SELECT id, name, n, r, b, n AS name FROM t ORDER BY id',
      'SELECT count(*) FROM t',
      "SELECT * FROM t WHERE name = 'nobody'",
      'PRAGMA table_info(t)',
      'PRAGMA journal_mode',
      { sql: 'INSERT INTO t (name, n) VALUES (?, ?) RETURNING id, n', args: ['c', true] },
      { sql: 'DELETE FROM t WHERE name = ?', args: ['c'] },
      { sql: 'DELETE FROM t WHERE name = ?', args: ['c'] },
    ];
    for (const [i, stmt] of statements.entries()) expect(observed(await local.execute(stmt)), `statement ${i}`).toEqual(observed(await theirs.execute(stmt)));
    const write = await local.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['d'] });
    expect(write.lastInsertRowid).toBe(3n);
    expect(write.rowsAffected).toBe(1);
  });

  it('round-trips BLOBs as ArrayBuffers of exactly their bytes, whatever form they went in', async () => {
    const { client } = await fresh();
    const big = Buffer.alloc(100_000, 7);
    const inputs = [Buffer.from('buffer'), new Uint8Array(Buffer.from('uint8array')), Uint8Array.from(Buffer.from('arraybuffer')).buffer, Buffer.alloc(0), big];
    await client.batch(
      inputs.map((b, i) => ({ sql: 'INSERT INTO t (id, b) VALUES (?, ?)', args: [i, b] })),
      'write',
    );
    const rows = (await client.execute('SELECT b FROM t ORDER BY id')).rows;
    for (const row of rows) expect(row.b).toBeInstanceOf(ArrayBuffer);
    expect(rows.slice(0, 3).map((r) => text(r.b))).toEqual(['buffer', 'uint8array', 'arraybuffer']);
    expect((rows[3]!.b as ArrayBuffer).byteLength).toBe(0);
    expect(Buffer.from(rows[4]!.b as ArrayBuffer).equals(big)).toBe(true);
  });

  it('gives rowids as bigint, and refuses to read an integer past 2^53 as a number rather than round it', async () => {
    const { client } = await fresh();
    const rowid = 2n ** 40n + 3n;
    expect((await client.execute({ sql: 'INSERT INTO t (id) VALUES (?)', args: [rowid] })).lastInsertRowid).toBe(rowid);
    expect((await client.execute('SELECT id FROM t')).rows[0]!.id).toBe(Number(rowid));
    await client.execute({ sql: 'INSERT INTO t (id) VALUES (?)', args: [2n ** 62n] });
    await expect(client.execute('SELECT id FROM t ORDER BY id DESC')).rejects.toThrow(RangeError);
    expect((await client.execute('SELECT CAST(max(id) AS TEXT) AS id FROM t')).rows[0]!.id).toBe((2n ** 62n).toString());
  });

  it('runs a batch in one transaction: a failing statement rolls back the ones before it and says which failed', async () => {
    const { client } = await fresh();
    await client.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['taken'] });
    const failing = client.batch(
      [
        { sql: 'INSERT INTO t (name) VALUES (?)', args: ['first'] },
        { sql: 'UPDATE t SET n = 1', args: [] },
        { sql: 'INSERT INTO t (name) VALUES (?)', args: ['taken'] },
      ],
      'write',
    );
    await expect(failing).rejects.toBeInstanceOf(LibsqlBatchError);
    await expect(failing).rejects.toMatchObject({ statementIndex: 2, code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect((await client.execute('SELECT name, n FROM t')).rows.map((r) => [r.name, r.n])).toEqual([['taken', null]]);
    // The connection is out of the transaction: the next batch commits on its own.
    await client.batch([{ sql: 'INSERT INTO t (name) VALUES (?)', args: ['after'] }], 'write');
    expect((await client.execute('SELECT count(*) AS c FROM t')).rows[0]!.c).toBe(2);
  });

  it('fails a single statement with the codes @libsql/client uses', async () => {
    const { client } = await fresh();
    const theirs = await reference();
    for (const c of [client, theirs]) await c.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['x'] });
    const dup = { sql: 'INSERT INTO t (name) VALUES (?)', args: ['x'] };
    const [mine, ref] = await Promise.all([client.execute(dup).catch((e: unknown) => e), theirs.execute(dup).catch((e: unknown) => e)]);
    const shape = (e: any) => ({ name: e.name, code: e.code, extendedCode: e.extendedCode, rawCode: e.rawCode, message: e.message });
    expect(shape(mine)).toEqual(shape(ref));
    await expect(client.execute('SELEC nonsense')).rejects.toMatchObject({ name: 'LibsqlError', code: 'SQLITE_ERROR' });
  });

  it('keeps a bounded number of prepared statements', async () => {
    const { client } = await fresh({ statementCapacity: 4 });
    for (let i = 0; i < 20; i++) await client.execute({ sql: `SELECT ? + ${i} AS v`, args: [i] });
    expect(client.preparedStatements).toBe(4);
    // The kept ones still give the right answers, and so do the ones prepared again.
    for (let i = 0; i < 20; i++) expect((await client.execute({ sql: `SELECT ? + ${i} AS v`, args: [i] })).rows[0]!.v).toBe(2 * i);
  });

  it('sees a changed schema in a statement it had prepared before', async () => {
    const { client } = await fresh();
    await client.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['a'] });
    expect((await client.execute('SELECT * FROM t')).columns).toEqual(['id', 'name', 'n', 'r', 'b']);
    await client.execute('ALTER TABLE t ADD COLUMN extra TEXT DEFAULT \'e\'');
    const after = await client.execute('SELECT * FROM t');
    expect(after.columns).toEqual(['id', 'name', 'n', 'r', 'b', 'extra']);
    expect(after.rows[0]!.extra).toBe('e');
  });

  it('fails a write with SQLITE_BUSY once another connection has held the write lock past the busy timeout, and afterwards sees that commit and writes', async () => {
    const { path, client: holder } = await fresh();
    const waiter = new LocalFileClient(path, { busyTimeoutMs: 20 });
    opened.push(waiter);
    const tx = await holder.transaction('write');
    await tx.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['held'] });
    await expect(waiter.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['waiting'] })).rejects.toMatchObject({ name: 'LibsqlError', code: 'SQLITE_BUSY' });
    await expect(waiter.batch([{ sql: 'INSERT INTO t (name) VALUES (?)', args: ['waiting'] }], 'write')).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    // A reader is not blocked by the writer (WAL), and does not see its uncommitted row.
    expect((await waiter.execute('SELECT count(*) AS c FROM t')).rows[0]!.c).toBe(0);
    await tx.commit();
    // Its failures left the waiter nothing stale: it sees the commit, and its write goes through.
    expect((await waiter.execute('SELECT count(*) AS c FROM t')).rows[0]!.c).toBe(1);
    await waiter.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['waiting'] });
    expect((await holder.execute('SELECT name FROM t ORDER BY id')).rows.map((r) => r.name)).toEqual(['held', 'waiting']);
  });

  it('holds its one connection for an interactive transaction: other calls wait for it to end', async () => {
    const { client } = await fresh();
    const tx = await client.transaction('write');
    await tx.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['in-tx'] });
    const outside = client.execute('SELECT count(*) AS c FROM t');
    let settled = false;
    void outside.then(() => (settled = true));
    await tx.execute('SELECT 1');
    expect(settled).toBe(false);
    await tx.rollback();
    expect((await outside).rows[0]!.c).toBe(0);
    expect(tx.closed).toBe(true);
  });

  it('says so when used after close, and works again after reconnect', async () => {
    const { client } = await fresh();
    client.close();
    expect(client.closed).toBe(true);
    await expect(client.execute('SELECT 1')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    client.reconnect();
    expect((await client.execute('SELECT count(*) AS c FROM t')).rows[0]!.c).toBe(0);
  });
});
