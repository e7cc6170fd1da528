import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection } from './connection.ts';
import { ConnectionPool } from './connection-pool.ts';
import { cachingLexer } from './lexer-cache.ts';

const dir = mkdtempSync(join(tmpdir(), 'libsql-pool-'));
const file = join(dir, 'db');
const lex = cachingLexer();

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pool(maxIdle: number): { pool: ConnectionPool; opened: Connection[] } {
  const opened: Connection[] = [];
  const made = new ConnectionPool({
    open: () => {
      const connection = new Connection(file, lex);
      opened.push(connection);
      return connection;
    },
    maxIdle,
  });
  return { pool: made, opened };
}

const run = (connection: Connection, sql: string) => connection.execute(sql, { sql });

describe('ConnectionPool', () => {
  it('lends a connection given back clean, most recent first', () => {
    const { pool: connections, opened } = pool(4);
    const a = connections.borrow();
    const b = connections.borrow();
    run(a, 'SELECT 1');
    connections.giveBack(a);
    connections.giveBack(b);
    expect(connections.borrow()).toBe(b);
    expect(connections.borrow()).toBe(a);
    expect(opened).toHaveLength(2);
    connections.close();
  });

  it('closes a connection given back inside a transaction instead of lending it again', () => {
    const { pool: connections } = pool(4);
    const open = connections.borrow();
    run(open, 'BEGIN');
    connections.giveBack(open);
    expect(connections.idle).toBe(0);
    expect(open.reusable).toBe(false);
    const next = connections.borrow();
    expect(next).not.toBe(open);
    expect(next.inTransaction).toBe(false);
    connections.close();
  });

  it('closes a connection that ran a statement which can leave state behind', () => {
    const { pool: connections } = pool(4);
    for (const sql of ['PRAGMA foreign_keys = OFF', 'CREATE TEMP TABLE scratch (x)']) {
      const used = connections.borrow();
      run(used, sql);
      connections.giveBack(used);
      expect(connections.idle, sql).toBe(0);
    }
    const sequenced = connections.borrow();
    sequenced.sequence('SELECT 1; SELECT 2');
    connections.giveBack(sequenced);
    expect(connections.idle).toBe(0);
    connections.close();
  });

  it('keeps at most maxIdle connections and closes the rest and all on close', () => {
    const { pool: connections, opened } = pool(2);
    const borrowed = Array.from({ length: 5 }, () => connections.borrow());
    for (const connection of borrowed) connections.giveBack(connection);
    expect(connections.idle).toBe(2);
    expect(opened.filter((connection) => connection.reusable)).toHaveLength(2);
    connections.close();
    expect(opened.filter((connection) => connection.reusable)).toHaveLength(0);
    const late = connections.borrow();
    connections.giveBack(late);
    expect(late.reusable).toBe(false);
  });
});
