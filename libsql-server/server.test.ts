// Drives the server through the real @libsql/client (HTTP mode), as the Worker does.
import { type Client, createClient, LibsqlBatchError, LibsqlError } from '@libsql/client/web';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LibsqlServer, startLibsqlServer } from './server.ts';

const dir = mkdtempSync(join(tmpdir(), 'libsql-server-'));
const authToken = 'server-test-token';
let server: LibsqlServer;
let client: Client;

beforeAll(async () => {
  server = await startLibsqlServer({ file: join(dir, 'main.db'), authToken });
  client = createClient({ url: server.url, intMode: 'bigint', authToken });
  await client.execute(`CREATE TABLE users (
    id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, n INTEGER, f REAL, b BLOB, note TEXT)`);
});

afterEach(() => {
  // Every public call closes its stream in the same request; nothing may be left behind.
  expect(server.openStreams()).toBe(0);
});

afterAll(async () => {
  client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function errorOf(promise: Promise<unknown>): Promise<LibsqlError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason);
  if (!(error instanceof LibsqlError)) throw new Error(`expected a LibsqlError, got ${String(error)}`);
  return error;
}

const count = async (table = 'users') => (await client.execute(`SELECT count(*) AS c FROM ${table}`)).rows[0]?.c;

describe('execute', () => {
  it('binds positional arguments of every type and reports columns and decltypes', async () => {
    const inserted = await client.execute({
      sql: 'INSERT INTO users (email, n, f, b, note) VALUES (?, ?, ?, ?, ?)',
      args: ['pos@x', 42n, 1.5, new Uint8Array([0, 1, 255]), null],
    });
    expect(inserted.rowsAffected).toBe(1);
    expect(typeof inserted.lastInsertRowid).toBe('bigint');
    expect(inserted.columns).toEqual([]);

    const selected = await client.execute({
      sql: 'SELECT email, n, f, b, note, typeof(?) AS t, ? AS flag FROM users WHERE id = ?',
      args: [42, true, inserted.lastInsertRowid!],
    });
    expect(selected.columns).toEqual(['email', 'n', 'f', 'b', 'note', 't', 'flag']);
    expect(selected.columnTypes).toEqual(['TEXT', 'INTEGER', 'REAL', 'BLOB', 'TEXT', '', '']);
    expect(selected.rowsAffected).toBe(0);
    expect(selected.lastInsertRowid).toBeUndefined();
    const row = selected.rows[0]!;
    expect(row.email).toBe('pos@x');
    expect(row.n).toBe(42n);
    expect(row.f).toBe(1.5);
    expect([...new Uint8Array(row.b as ArrayBuffer)]).toEqual([0, 1, 255]);
    expect(row.note).toBeNull();
    expect(row.t).toBe('real'); // JS numbers travel as floats, as on Turso
    expect(row.flag).toBe(1n);
  });

  it('binds named arguments with and without their prefix', async () => {
    await client.execute({ sql: 'INSERT INTO users (email, n) VALUES (:email, @n)', args: { email: 'named@x', '@n': 7n } });
    const result = await client.execute({ sql: 'SELECT n FROM users WHERE email = $email', args: { $email: 'named@x' } });
    expect(result.rows[0]?.n).toBe(7n);
  });

  it('round-trips integers past 2^53 and reports large rowids exactly', async () => {
    const big = 9007199254740993n;
    await client.execute({ sql: 'INSERT INTO users (id, email, n) VALUES (?, ?, ?)', args: [big + 2n, 'big@x', big] });
    const result = await client.execute({ sql: 'SELECT id, n FROM users WHERE n = ?', args: [big] });
    expect(result.rows[0]?.n).toBe(big);
    expect(result.rows[0]?.id).toBe(big + 2n);
    const next = await client.execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: ['after-big@x'] });
    expect(next.lastInsertRowid).toBe(big + 3n);
  });

  it('reports affected rows only for statements that changed something', async () => {
    await client.execute({ sql: 'INSERT INTO users (email) VALUES (?), (?)', args: ['c1@x', 'c2@x'] });
    const updated = await client.execute({ sql: "UPDATE users SET note = 'c' WHERE email IN (?, ?)", args: ['c1@x', 'c2@x'] });
    expect(updated.rowsAffected).toBe(2);
    expect(updated.lastInsertRowid).toBeUndefined();
    const none = await client.execute("UPDATE users SET note = 'c' WHERE email = 'nobody'");
    expect(none.rowsAffected).toBe(0);
  });

  it('maps a UNIQUE violation to SQLITE_CONSTRAINT', async () => {
    await client.execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: ['dup@x'] });
    const error = await errorOf(client.execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: ['dup@x'] }));
    expect(error.code).toBe('SQLITE_CONSTRAINT');
    expect(error.extendedCode).toBeUndefined();
    expect(error.message).toBe('SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: users.email');
  });

  it('reports statement-count and argument errors with their Hrana codes', async () => {
    expect((await errorOf(client.execute('SELECT 1; SELECT 2'))).code).toBe('SQL_MANY_STATEMENTS');
    expect((await errorOf(client.execute('-- nothing'))).code).toBe('SQL_NO_STATEMENT');
    expect((await errorOf(client.execute({ sql: 'SELECT ?, ?', args: [1] }))).code).toBe('ARGS_INVALID');
    expect((await errorOf(client.execute({ sql: 'SELECT ?', args: [1, 2] }))).code).toBe('ARGS_INVALID');
    expect((await errorOf(client.execute('SELECT * FROM missing'))).code).toBe('SQLITE_UNKNOWN');
    expect((await errorOf(client.execute('SELEKT 1'))).code).toBe('SQL_PARSE_ERROR');
  });
});

describe('numbered parameters', () => {
  const row = async (sql: string, args: string[]) => (await client.execute({ sql, args })).rows[0]!;
  const values = async (sql: string, args: string[]) => Array.from(await row(sql, args));

  it('binds ?NNN by its number, whatever order the slots appear in', async () => {
    expect(await values('SELECT ?3, ?1', ['one', 'two', 'three'])).toEqual(['three', 'one']);
    expect(await values('SELECT ?1, ?3', ['a', 'b', 'c'])).toEqual(['a', 'c']);
    expect(await values('SELECT ?2, ?1, ?2', ['a', 'b'])).toEqual(['b', 'a', 'b']);
  });

  it('gives a bare ? the number after the largest so far, as SQLite does', async () => {
    expect(await values('SELECT ?1, ?', ['a', 'b'])).toEqual(['a', 'b']);
    expect(await values('SELECT ?, ?1, ?', ['a', 'b'])).toEqual(['a', 'a', 'b']);
    expect(await values('SELECT ?3, ?, ?1', ['a', 'b', 'c', 'd'])).toEqual(['c', 'd', 'a']);
    expect(await values("SELECT ?2 || '?1' /* ?1 */, ?", ['a', 'b', 'c'])).toEqual(['b?1', 'c']);
  });

  it('keeps the column names of the SQL as written', async () => {
    const result = await client.execute({ sql: 'SELECT ?2, ?', args: ['a', 'b', 'c'] });
    expect(result.columns).toEqual(['?2', '?']);
  });

  it('binds positional values into named slots by number when a ?NNN shares the slot', async () => {
    // `:a` takes slot 1 first, so ?1 reads the same slot; positional values cannot reach a named slot.
    expect((await errorOf(client.execute({ sql: 'SELECT :a, ?1', args: ['x'] }))).message).toContain('value for parameter :a not found');
    expect(await values('SELECT ?1, :a, ?', ['x', 'y', 'z']).catch((error: LibsqlError) => error.code)).toBe('ARGS_INVALID');
  });

  it('binds named values beside ?NNN slots only by name', async () => {
    const shared = await client.execute({ sql: 'SELECT :a, ?1, @b', args: { a: 'x', b: 'y' } });
    expect(Array.from(shared.rows[0]!)).toEqual(['x', 'x', 'y']);
    const nameless = await errorOf(client.execute({ sql: 'SELECT :a, ?', args: { a: 'x' } }));
    expect(nameless.message).toContain('value for parameter 2 not found');
  });

  it('refuses what sqld refuses, with its codes', async () => {
    const missing = await errorOf(client.execute({ sql: 'SELECT ?1, ?3', args: ['a', 'b'] }));
    expect(missing.code).toBe('ARGS_INVALID');
    expect(missing.message).toContain('value for parameter ?3 not found');
    expect((await errorOf(client.execute({ sql: 'SELECT ?2', args: ['a', 'b', 'c'] }))).code).toBe('ARGS_INVALID');
    expect((await errorOf(client.execute({ sql: 'SELECT ?1', args: { '1': 'a' } }))).code).toBe('ARGS_INVALID');
    for (const sql of ['SELECT ?0', 'SELECT ?32767', 'SELECT ?99999999999']) {
      const error = await errorOf(client.execute({ sql, args: [] }));
      expect(error.message, sql).toContain('variable number must be between ?1 and ?32766');
    }
  });

  it('binds ?NNN inside a batch and a trigger-free write', async () => {
    await client.execute({ sql: 'INSERT INTO users (email, note, n) VALUES (?2, ?1, ?3)', args: ['note', 'num@x', 5n] as never });
    const [result] = await client.batch([{ sql: 'SELECT note, n FROM users WHERE email = ?1 AND n = ?2', args: ['num@x', 5n] }]);
    expect(result?.rows[0]?.note).toBe('note');
  });
});

describe('batch', () => {
  it('rolls a write batch back when a statement fails', async () => {
    const before = await count();
    const error = await errorOf(client.batch([
      { sql: 'INSERT INTO users (email) VALUES (?)', args: ['batch1@x'] },
      { sql: 'INSERT INTO users (email) VALUES (?)', args: ['dup@x'] },
      { sql: 'INSERT INTO users (email) VALUES (?)', args: ['batch2@x'] },
    ], 'write'));
    expect(error).toBeInstanceOf(LibsqlBatchError);
    expect((error as LibsqlBatchError).statementIndex).toBe(1);
    expect(error.code).toBe('SQLITE_CONSTRAINT');
    expect(await count()).toBe(before);
  });

  it('commits a successful batch and reuses stored SQL', async () => {
    const insert = 'INSERT INTO users (email) VALUES (?)';
    const results = await client.batch([
      { sql: insert, args: ['b1@x'] },
      { sql: insert, args: ['b2@x'] },
      "SELECT count(*) AS c FROM users WHERE email LIKE 'b_@x'",
    ], 'write');
    expect(results.map((result) => result.rowsAffected)).toEqual([1, 1, 0]);
    expect(results[2]?.rows[0]?.c).toBe(2n);
    const read = await client.batch(["SELECT email FROM users WHERE email = 'b1@x'"], 'read');
    expect(read[0]?.rows).toHaveLength(1);
  });
});

describe('interactive transactions', () => {
  it('commits, and keeps going after a failed statement', async () => {
    const tx = await client.transaction('write');
    await tx.execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: ['tx1@x'] });
    const error = await errorOf(tx.execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: ['tx1@x'] }));
    expect(error.code).toBe('SQLITE_CONSTRAINT');
    await tx.execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: ['tx2@x'] });
    await tx.commit();
    const rows = await client.execute("SELECT email FROM users WHERE email IN ('tx1@x', 'tx2@x')");
    expect(rows.rows).toHaveLength(2);
  });

  it('rolls back a batch and executeMultiple inside the transaction', async () => {
    const before = await count();
    const tx = await client.transaction('write');
    await tx.batch([{ sql: 'INSERT INTO users (email) VALUES (?)', args: ['rb1@x'] }]);
    await tx.executeMultiple("INSERT INTO users (email) VALUES ('rb2@x'); INSERT INTO users (email) VALUES ('rb3@x');");
    expect((await tx.execute('SELECT count(*) AS c FROM users')).rows[0]?.c).toBe((before as bigint) + 3n);
    await tx.rollback();
    expect(await count()).toBe(before);
  });

  it('hides uncommitted rows from other streams without blocking their reads', async () => {
    const tx = await client.transaction('write');
    await tx.execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: ['iso@x'] });
    const outside = await client.execute("SELECT count(*) AS c FROM users WHERE email = 'iso@x'");
    expect(outside.rows[0]?.c).toBe(0n);
    await tx.commit();
    expect((await client.execute("SELECT count(*) AS c FROM users WHERE email = 'iso@x'")).rows[0]?.c).toBe(1n);
  });

  it('serialises two concurrent write transactions', async () => {
    const events: string[] = [];
    const first = await client.transaction('write');
    await first.execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: ['ser1@x'] });
    const second = await client.transaction('write');
    const secondWrote = second
      .execute("INSERT INTO users (email, note) SELECT 'ser2@x', count(*) FROM users WHERE email = 'ser1@x'")
      .then(() => events.push('second wrote'));
    await first.execute('SELECT 1');
    events.push('first committing');
    await first.commit();
    await secondWrote;
    await second.commit();
    expect(events).toEqual(['first committing', 'second wrote']);
    // The second transaction started after the first committed, so it saw the first's row.
    const note = await client.execute("SELECT note FROM users WHERE email = 'ser2@x'");
    expect(note.rows[0]?.note).toBe('1');
  });

  it('runs many concurrent autocommit writes', async () => {
    const before = await count();
    await Promise.all(Array.from({ length: 20 }, (_, i) =>
      client.execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: [`par${i}@x`] })));
    expect(await count()).toBe((before as bigint) + 20n);
  });
});

describe('executeMultiple and migrate', () => {
  it('splits on real statement ends only', async () => {
    await client.executeMultiple(`
      CREATE TABLE audit (email TEXT);
      CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN
        INSERT INTO audit (email) VALUES (new.email || ';');
      END;
      INSERT INTO users (email) VALUES ('semi;colon@x');
    `);
    const audit = await client.execute('SELECT email FROM audit');
    expect(audit.rows.map((row) => row.email)).toEqual(['semi;colon@x;']);
    await client.execute('DROP TRIGGER users_audit');
  });

  it('keeps the statements before a failure', async () => {
    await expect(client.executeMultiple("CREATE TABLE kept (a); INSERT INTO missing VALUES (1); CREATE TABLE never (a)"))
      .rejects.toMatchObject({ code: 'SQLITE_UNKNOWN' });
    expect((await client.execute("SELECT name FROM sqlite_master WHERE name IN ('kept', 'never')")).rows.map((row) => row.name))
      .toEqual(['kept']);
  });

  it('migrates idempotently and rolls a failed migration back', async () => {
    const statements = [
      'CREATE TABLE IF NOT EXISTS groups (id INTEGER PRIMARY KEY, name TEXT)',
      'CREATE TABLE IF NOT EXISTS members (group_id INTEGER REFERENCES groups (id), user_id INTEGER)',
    ];
    await client.migrate(statements);
    await client.migrate(statements);
    const error = await errorOf(client.migrate(['CREATE TABLE half (a)', 'CREATE TABLE groups (id)']));
    expect(error.code).toBe('SQLITE_UNKNOWN');
    expect((await client.execute("SELECT count(*) AS c FROM sqlite_master WHERE name = 'half'")).rows[0]?.c).toBe(0n);
    // migrate turns foreign keys off only inside its own stream.
    await expect(client.execute('INSERT INTO members (group_id) VALUES (999)')).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT' });
  });
});

describe('an abandoned transaction', () => {
  it('expires, rolls back and lets a waiting writer through', async () => {
    const shortDir = mkdtempSync(join(tmpdir(), 'libsql-server-expiry-'));
    const short = await startLibsqlServer({ file: join(shortDir, 'db'), authToken, streamIdleMs: 300 });
    const shortClient = createClient({ url: short.url, intMode: 'bigint', authToken });
    try {
      await shortClient.execute('CREATE TABLE t (v TEXT)');
      const abandoned = await shortClient.transaction('write');
      await abandoned.execute("INSERT INTO t VALUES ('abandoned')");
      // This write waits for the abandoned transaction's write lock, which only its expiry frees.
      await shortClient.execute("INSERT INTO t VALUES ('competing')");
      const error = await errorOf(abandoned.commit());
      expect(error.code).toBe('STREAM_EXPIRED');
      const rows = await shortClient.execute('SELECT v FROM t');
      expect(rows.rows.map((row) => row.v)).toEqual(['competing']);
      expect(short.openStreams()).toBe(0);
    } finally {
      shortClient.close();
      await short.close();
      rmSync(shortDir, { recursive: true, force: true });
    }
  });
});

describe('auth', () => {
  it('refuses a wrong or missing token and accepts the right one', async () => {
    const authDir = mkdtempSync(join(tmpdir(), 'libsql-server-auth-'));
    const guarded = await startLibsqlServer({ file: join(authDir, 'db'), authToken: 'secret' });
    const clients = [undefined, 'wrong', 'secret'].map((authToken) => createClient({ url: guarded.url, authToken }));
    try {
      for (const refused of clients.slice(0, 2)) {
        const error = await errorOf(refused.execute('SELECT 1'));
        expect(error.code).toBe('SERVER_ERROR');
        expect(error.message).toContain('401');
      }
      expect((await clients[2]!.execute('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    } finally {
      for (const each of clients) each.close();
      await guarded.close();
      rmSync(authDir, { recursive: true, force: true });
    }
  });
});

// A web page the developer visits can send simple cross-site requests to loopback, and DNS rebinding can
// give it a loopback address under its own host name; none of them may reach SQL.
describe('browser-reachable requests', () => {
  const raw = (options: { host?: string; contentType?: string; token?: string; method?: string; path?: string }) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(server.url);
      const headers: Record<string, string> = { host: options.host ?? url.host };
      if (options.contentType !== undefined) headers['content-type'] = options.contentType;
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      const call = request({ host: url.hostname, port: url.port, method: options.method ?? 'POST', path: options.path ?? '/v2/pipeline', headers }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: response.statusCode!, body }));
      });
      call.on('error', reject);
      call.end(options.method === 'GET' ? undefined : JSON.stringify({ requests: [{ type: 'execute', stmt: { sql: "INSERT INTO users (email) VALUES ('cross-site@x')" } }, { type: 'close' }] }));
    });
  const crossSiteRows = async () => (await client.execute("SELECT count(*) AS c FROM users WHERE email = 'cross-site@x'")).rows[0]?.c;

  it('refuses a body that is not declared JSON, even with the token', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const response = await raw({ contentType, token: authToken });
      expect(response.status, String(contentType)).toBe(415);
    }
    expect(await crossSiteRows()).toBe(0n);
    expect((await raw({ contentType: 'application/json; charset=utf-8', token: authToken })).status).toBe(200);
    await client.execute("DELETE FROM users WHERE email = 'cross-site@x'");
  });

  it('answers only loopback host names, whatever the port', async () => {
    for (const host of ['evil.example', 'evil.example:8080', '127.0.0.1.evil.example', 'localhost.evil.example', '10.0.0.1']) {
      expect((await raw({ host, contentType: 'application/json', token: authToken })).status, host).toBe(403);
      expect((await raw({ host, method: 'GET', path: '/v2' })).status, host).toBe(403);
    }
    expect(await crossSiteRows()).toBe(0n);
    for (const host of ['localhost', 'localhost:1234', '127.0.0.1:9', '[::1]:8080', '[::1]', 'LOCALHOST']) {
      expect((await raw({ host, method: 'GET', path: '/v2' })).status, host).toBe(200);
    }
  });

  it('will not start without a token', async () => {
    await expect(startLibsqlServer({ file: join(dir, 'tokenless.db'), authToken: '' })).rejects.toThrow(/token/);
  });
});

describe('statements that touch other files', () => {
  it('are refused as not authorized, and no file appears', async () => {
    expect((await errorOf(client.execute(`ATTACH '${join(dir, 'planted.db')}' AS p`))).code).toBe('SQLITE_AUTH');
    const target = join(dir, 'planted.db');
    const refused = [
      `ATTACH DATABASE '${target}' AS planted`,
      `VACUUM INTO '${target}'`,
      "SELECT load_extension('/tmp/nothing')",
      `PRAGMA temp_store_directory = '${dir}'`,
      'DETACH DATABASE main',
    ];
    // SQLite reports a refused function as a plain error (SQLITE_UNKNOWN here and on sqld), the rest as SQLITE_AUTH.
    const notAuthorized = /^SQLITE_(AUTH|UNKNOWN): SQLite error: (not authorized|authorization denied)/;
    for (const sql of refused) {
      expect((await errorOf(client.execute(sql))).message, sql).toMatch(notAuthorized);
      expect((await errorOf(client.executeMultiple(`SELECT 1; ${sql};`))).message, sql).toMatch(notAuthorized);
      // Inside the batch's transaction VACUUM fails earlier, for that reason instead.
      expect((await errorOf(client.batch([sql], 'write'))).code, sql).toMatch(/^SQLITE_(AUTH|UNKNOWN)$/);
    }
    expect(existsSync(target)).toBe(false);
  });

  it('still lets VACUUM and the journal pragmas run', async () => {
    await client.execute('VACUUM');
    expect((await client.execute('PRAGMA journal_mode')).rows[0]?.[0]).toBe('wal');
  });
});
