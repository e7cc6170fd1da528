// Speaks the wire protocol directly, for what @libsql/client 0.18.0 never sends or cannot show.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LibsqlServer, startLibsqlServer } from './server.ts';

const dir = mkdtempSync(join(tmpdir(), 'libsql-pipeline-'));
let server: LibsqlServer;
const authToken = 'pipeline-test-token';
const headers = { 'content-type': 'application/json', authorization: `Bearer ${authToken}` };

beforeAll(async () => {
  server = await startLibsqlServer({ file: join(dir, 'db'), authToken, maxBodyBytes: 64 * 1024 });
  await pipeline([execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)'), { type: 'close' }]);
});

afterEach(() => {
  expect(server.openStreams()).toBe(0);
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

// Responses are checked field by field against literals, so their static type adds nothing.
type Json = any;

async function post(body: unknown, path = '/v3/pipeline'): Promise<Response> {
  return fetch(server.url + path, { method: 'POST', headers, body: JSON.stringify(body) });
}

async function pipeline(requests: unknown[], baton?: string, path?: string): Promise<Json> {
  const response = await post({ baton, requests }, path);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

const execute = (sql: string, extra: object = {}) => ({ type: 'execute', stmt: { sql, ...extra } });

describe('routes', () => {
  it('answers the version probes, and 404 for Protobuf and unknown paths', async () => {
    for (const path of ['/', '/v2', '/v3']) expect((await fetch(server.url + path)).status, path).toBe(200);
    for (const path of ['/v3-protobuf', '/v3-protobuf/pipeline', '/nope']) {
      expect((await fetch(server.url + path)).status, path).toBe(404);
    }
  });

  it('matches the pipeline on its path suffix', async () => {
    const result = await pipeline([execute('SELECT 1'), { type: 'close' }], undefined, '/some/db/v2/pipeline');
    expect(result.results[0].response.result.rows).toEqual([[{ type: 'integer', value: '1' }]]);
  });

  it('answers malformed and oversized bodies with plain-text errors', async () => {
    const bad = await fetch(`${server.url}/v2/pipeline`, { method: 'POST', headers, body: '{' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('text/plain');
    expect((await post({ requests: [{ type: 'frobnicate' }] })).status).toBe(400);
    const huge = await post({ requests: [execute(`SELECT '${'x'.repeat(70 * 1024)}'`)] });
    expect(huge.status).toBe(413);
  });
});

describe('batons', () => {
  it('are single-use and null only after close', async () => {
    const first = await pipeline([execute('SELECT 1')]);
    expect(first.baton).toEqual(expect.any(String));
    expect(first.base_url).toBeNull();
    const second = await pipeline([execute('SELECT 2')], first.baton);
    const reused = await post({ baton: first.baton, requests: [execute('SELECT 3')] });
    expect(reused.status).toBe(400);
    expect(reused.headers.get('content-type')).toBe('text/plain');
    const closed = await pipeline([{ type: 'close' }], second.baton);
    expect(closed.baton).toBeNull();
  });

  it('of an expired stream get STREAM_EXPIRED as exact application/json', async () => {
    const shortDir = mkdtempSync(join(tmpdir(), 'libsql-pipeline-expiry-'));
    const short = await startLibsqlServer({ file: join(shortDir, 'db'), authToken, streamIdleMs: 200 });
    try {
      const call = (body: unknown) => fetch(`${short.url}/v2/pipeline`, { method: 'POST', headers, body: JSON.stringify(body) });
      await call({ requests: [execute('CREATE TABLE t (v)'), { type: 'close' }] });
      const open: Json = await (await call({ requests: [execute('BEGIN IMMEDIATE'), execute("INSERT INTO t VALUES ('lost')")] })).json();
      // Waits on the write gate until the idle stream above expires and rolls back.
      const waited: Json = await (await call({ requests: [execute('SELECT count(*) FROM t'), execute("INSERT INTO t VALUES ('kept')"), { type: 'close' }] })).json();
      expect(waited.results[0].response.result.rows).toEqual([[{ type: 'integer', value: '0' }]]);
      const late = await call({ baton: open.baton, requests: [execute('COMMIT')] });
      expect(late.status).toBe(500);
      expect(late.headers.get('content-type')).toBe('application/json');
      expect(await late.json()).toEqual({ message: 'The stream has expired due to inactivity', code: 'STREAM_EXPIRED' });
      expect(short.openStreams()).toBe(0);
    } finally {
      await short.close();
      rmSync(shortDir, { recursive: true, force: true });
    }
  });
});

describe('requests', () => {
  it('runs every request even after one fails', async () => {
    const result = await pipeline([execute('SELECT * FROM missing'), execute('SELECT 1'), { type: 'close' }]);
    expect(result.results.map((each: Json) => each.type)).toEqual(['error', 'ok', 'ok']);
    expect(result.results[0].error).toEqual({ message: 'SQLite error: no such table: missing', code: 'SQLITE_UNKNOWN' });
  });

  it('encodes every value type and honours want_rows', async () => {
    const values = [
      { type: 'null' }, { type: 'integer', value: '-9223372036854775808' }, { type: 'float', value: 0.25 },
      { type: 'text', value: 'héllo' }, { type: 'blob', base64: 'AAH/' },
    ];
    const result = await pipeline([
      execute('SELECT ?, ?, ?, ?, ?', { args: values }),
      execute('SELECT 1', { want_rows: false }),
      { type: 'close' },
    ]);
    expect(result.results[0].response.result.rows).toEqual([values]);
    expect(result.results[1].response.result).toMatchObject({ rows: [], cols: [{ name: '1', decltype: null }] });
  });

  it('refuses both positional and named arguments', async () => {
    const result = await pipeline([
      execute('SELECT ?, :a', { args: [{ type: 'null' }], named_args: [{ name: 'a', value: { type: 'null' } }] }),
      { type: 'close' },
    ]);
    expect(result.results[0].error.code).toBe('ARGS_BOTH_POSITIONAL_AND_NAMED');
  });

  it('stores SQL per stream, frees ids on close_sql and refuses duplicates', async () => {
    const first = await pipeline([
      { type: 'store_sql', sql_id: 1, sql: 'SELECT 10' },
      { type: 'execute', stmt: { sql_id: 1 } },
      { type: 'close_sql', sql_id: 1 },
      { type: 'store_sql', sql_id: 1, sql: 'SELECT 20' },
      { type: 'execute', stmt: { sql_id: 1 } },
    ]);
    expect(first.results[1].response.result.rows[0][0].value).toBe('10');
    expect(first.results[4].response.result.rows[0][0].value).toBe('20');
    const duplicate = await post({ baton: first.baton, requests: [{ type: 'store_sql', sql_id: 1, sql: 'SELECT 30' }] });
    expect(duplicate.status).toBe(400);
    const elsewhere = await post({ requests: [{ type: 'execute', stmt: { sql_id: 1 } }] });
    expect(elsewhere.status).toBe(400);
  });

  it('evaluates every batch condition', async () => {
    const stmt = (sql: string) => ({ sql });
    const result = await pipeline([{
      type: 'batch',
      batch: {
        steps: [
          { stmt: stmt('SELECT 1') },
          { stmt: stmt('SELECT * FROM missing') },
          { condition: { type: 'ok', step: 0 }, stmt: stmt('SELECT 2') },
          { condition: { type: 'error', step: 1 }, stmt: stmt('SELECT 3') },
          { condition: { type: 'not', cond: { type: 'ok', step: 0 } }, stmt: stmt('SELECT 4') },
          { condition: { type: 'and', conds: [{ type: 'ok', step: 0 }, { type: 'ok', step: 1 }] }, stmt: stmt('SELECT 5') },
          { condition: { type: 'or', conds: [{ type: 'ok', step: 1 }, { type: 'ok', step: 0 }] }, stmt: stmt('SELECT 6') },
          { condition: { type: 'is_autocommit' }, stmt: stmt('BEGIN') },
          { condition: { type: 'is_autocommit' }, stmt: stmt('SELECT 8') },
          { stmt: stmt('ROLLBACK') },
        ],
      },
    }, { type: 'close' }]);
    const { step_results: results, step_errors: errors } = result.results[0].response.result;
    expect(results.map((each: Json) => each !== null)).toEqual([true, false, true, true, false, false, true, true, false, true]);
    expect(errors.map((each: Json) => each?.code ?? null)).toEqual([null, 'SQLITE_UNKNOWN', null, null, null, null, null, null, null, null]);
  });

  it('refuses a condition on a later step', async () => {
    const response = await post({ requests: [{ type: 'batch', batch: { steps: [{ condition: { type: 'ok', step: 0 }, stmt: { sql: 'SELECT 1' } }] } }] });
    expect(response.status).toBe(400);
  });

  it('keeps Hrana 3 features off /v2', async () => {
    expect((await post({ requests: [{ type: 'get_autocommit' }] }, '/v2/pipeline')).status).toBe(400);
    const result = await pipeline([
      { type: 'get_autocommit' }, execute('BEGIN'), { type: 'get_autocommit' }, execute('ROLLBACK'), { type: 'close' },
    ]);
    expect([result.results[0].response.is_autocommit, result.results[2].response.is_autocommit]).toEqual([true, false]);
  });

  it('describes a statement without running it', async () => {
    const result = await pipeline([{ type: 'describe', sql: 'INSERT INTO t (v) VALUES (:v) RETURNING id, v' }, { type: 'close' }]);
    expect(result.results[0].response.result).toEqual({
      params: [{ name: ':v' }],
      cols: [{ name: 'id', decltype: 'INTEGER' }, { name: 'v', decltype: 'TEXT' }],
      is_explain: false,
      is_readonly: false,
    });
    const count = await pipeline([execute('SELECT count(*) FROM t'), { type: 'close' }]);
    expect(count.results[0].response.result.rows[0][0].value).toBe('0');
  });

  it('runs a sequence up to its first failure', async () => {
    const result = await pipeline([
      { type: 'sequence', sql: "INSERT INTO t (v) VALUES ('s1'); INSERT INTO t (v) VALUES ('s1'); INSERT INTO t (v) VALUES ('s2')" },
      execute('SELECT v FROM t'),
      { type: 'close' },
    ]);
    expect(result.results[0].error.code).toBe('SQLITE_CONSTRAINT');
    expect(result.results[1].response.result.rows).toEqual([[{ type: 'text', value: 's1' }]]);
  });

  it('closes the stream, rolling back, when a request is malformed mid-pipeline', async () => {
    const response = await post({ requests: [execute('BEGIN'), execute("INSERT INTO t (v) VALUES ('gone')"), { type: 'execute', stmt: { sql_id: 99 } }] });
    expect(response.status).toBe(400);
    const rows = await pipeline([execute("SELECT count(*) FROM t WHERE v = 'gone'"), { type: 'close' }]);
    expect(rows.results[0].response.result.rows[0][0].value).toBe('0');
  });
});
