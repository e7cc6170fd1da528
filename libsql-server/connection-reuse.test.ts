// Streams share pooled connections and kept statements; each must still behave as on a fresh connection.
// Spoken over the wire protocol, with batons held open to pin which connection each request gets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LibsqlServer, startLibsqlServer } from './server.ts';

const dir = mkdtempSync(join(tmpdir(), 'libsql-reuse-'));
const authToken = 'reuse-test-token';
let server: LibsqlServer;

// Responses are checked field by field against literals, so their static type adds nothing.
type Json = any;

async function pipeline(requests: unknown[], baton?: string): Promise<Json> {
  const response = await fetch(`${server.url}/v3/pipeline`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${authToken}` },
    body: JSON.stringify({ baton, requests }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

const execute = (sql: string) => ({ type: 'execute', stmt: { sql } });
const close = { type: 'close' };
const rowsOf = (result: Json, index = 0) => result.results[index].response.result.rows.map((row: Json[]) => row.map((value) => value.value ?? null));
const columnsOf = (result: Json, index = 0) => result.results[index].response.result.cols.map((col: Json) => col.name);

beforeAll(async () => {
  server = await startLibsqlServer({ file: join(dir, 'db'), authToken });
});

afterEach(async () => {
  await pipeline([execute('DROP TABLE IF EXISTS t'), close]);
  expect(server.openStreams()).toBe(0);
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a connection used by an earlier stream', () => {
  it('carries no transaction over from a stream that closed with one open', async () => {
    await pipeline([execute('CREATE TABLE t (v TEXT)'), close]);
    const left = await pipeline([execute('BEGIN'), execute("INSERT INTO t VALUES ('left open')"), close]);
    expect(left.results.map((each: Json) => each.type)).toEqual(['ok', 'ok', 'ok']);
    const next = await pipeline([{ type: 'get_autocommit' }, execute('SELECT count(*) FROM t'), execute("INSERT INTO t VALUES ('next')"), close]);
    expect(next.results[0].response.is_autocommit).toBe(true);
    expect(rowsOf(next, 1)).toEqual([['0']]);
    expect(next.results[2].type).toBe('ok');
  });

  it('carries no PRAGMA and no temporary table over', async () => {
    await pipeline([execute('PRAGMA foreign_keys = OFF'), execute('CREATE TEMP TABLE scratch (x)'), close]);
    const next = await pipeline([execute('PRAGMA foreign_keys'), execute('SELECT * FROM temp.scratch'), close]);
    expect(rowsOf(next)).toEqual([['1']]);
    expect(next.results[1].error.message).toContain('no such table');
  });

  it('sees rows other streams committed after it was given back', async () => {
    await pipeline([execute('CREATE TABLE t (v TEXT)'), close]);
    expect(rowsOf(await pipeline([execute('SELECT count(*) FROM t'), close]))).toEqual([['0']]);
    // Held open, so the write below runs on another connection than the pooled one the reads get.
    const writer = await pipeline([execute("INSERT INTO t VALUES ('a')")]);
    expect(rowsOf(await pipeline([execute('SELECT count(*) FROM t'), close]))).toEqual([['1']]);
    await pipeline([close], writer.baton);
  });
});

describe('a statement kept on a connection', () => {
  it('reports the columns of a schema another stream changed since it was prepared', async () => {
    await pipeline([execute('CREATE TABLE t (a, b)'), execute('INSERT INTO t VALUES (1, 2)'), close]);
    // The changing stream is held open first, so the reading streams run on another (pooled) connection.
    const changer = await pipeline([execute('SELECT 1')]);
    const before = await pipeline([execute('SELECT * FROM t'), close]);
    expect(columnsOf(before)).toEqual(['a', 'b']);
    await pipeline([execute('ALTER TABLE t ADD COLUMN c'), close], changer.baton);
    const after = await pipeline([{ type: 'describe', sql: 'SELECT * FROM t' }, execute('SELECT * FROM t'), close]);
    expect(after.results[0].response.result.cols.map((col: Json) => col.name)).toEqual(['a', 'b', 'c']);
    expect(columnsOf(after, 1)).toEqual(['a', 'b', 'c']);
    expect(rowsOf(after, 1)).toEqual([['1', '2', null]]);
  });

  it('reports current columns when its mix of ? and ?NNN is run rewritten', async () => {
    await pipeline([execute('CREATE TABLE t (a)'), execute('INSERT INTO t VALUES (1)'), close]);
    const changer = await pipeline([execute('SELECT 1')]);
    const mixed = { type: 'execute', stmt: { sql: 'SELECT *, ?1, ? FROM t', args: [{ type: 'text', value: 'x' }, { type: 'text', value: 'y' }] } };
    expect(columnsOf(await pipeline([mixed, close]))).toEqual(['a', '?1', '?']);
    await pipeline([execute('ALTER TABLE t ADD COLUMN b'), close], changer.baton);
    const after = await pipeline([mixed, close]);
    expect(columnsOf(after)).toEqual(['a', 'b', '?1', '?']);
    expect(rowsOf(after)).toEqual([['1', null, 'x', 'y']]);
  });

  it('binds only the arguments of its own execution', async () => {
    const first = await pipeline([{ type: 'execute', stmt: { sql: 'EXPLAIN SELECT ?, ?', args: [{ type: 'integer', value: '1' }, { type: 'integer', value: '2' }] } }, close]);
    expect(first.results[0].type).toBe('ok');
    const again = await pipeline([
      { type: 'execute', stmt: { sql: 'SELECT ?, ?', args: [{ type: 'integer', value: '1' }, { type: 'integer', value: '2' }] } },
      { type: 'execute', stmt: { sql: 'SELECT ?, ?', args: [{ type: 'integer', value: '3' }] } },
      close,
    ]);
    expect(rowsOf(again)).toEqual([['1', '2']]);
    expect(again.results[1].error.code).toBe('ARGS_INVALID');
  });
});

describe('two streams in flight', () => {
  it('keep their own transactions', async () => {
    await pipeline([execute('CREATE TABLE t (v TEXT)'), close]);
    const writer = await pipeline([execute('BEGIN'), execute("INSERT INTO t VALUES ('w')")]);
    const reader = await pipeline([execute('BEGIN'), execute('SELECT count(*) FROM t')]);
    expect(rowsOf(reader, 1)).toEqual([['0']]);
    const committed = await pipeline([execute('COMMIT'), close], writer.baton);
    expect(committed.results[0].type).toBe('ok');
    // The reader's snapshot began before the commit and holds until its own transaction ends.
    const stillReading = await pipeline([execute('SELECT count(*) FROM t'), { type: 'get_autocommit' }], reader.baton);
    expect(rowsOf(stillReading)).toEqual([['0']]);
    expect(stillReading.results[1].response.is_autocommit).toBe(false);
    const done = await pipeline([execute('COMMIT'), execute('SELECT count(*) FROM t'), close], stillReading.baton);
    expect(rowsOf(done, 1)).toEqual([['1']]);
  });
});
