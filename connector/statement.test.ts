import { describe, expect, it } from 'vitest';
import { kindOf } from './statement.ts';

describe('kindOf', () => {
  it('calls row changes writes, whatever their case and leading space', () => {
    for (const sql of ['INSERT INTO t VALUES (1)', '  update t set a = 1', 'DELETE FROM t', 'replace into t values (1)', 'INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING RETURNING a'])
      expect(kindOf(sql), sql).toBe('write');
  });

  it('calls queries and pragmas that only read reads', () => {
    for (const sql of ['SELECT 1', '\n select * from t', 'EXPLAIN QUERY PLAN SELECT 1', 'PRAGMA journal_mode', 'pragma table_info(auth_state);', 'PRAGMA main.user_version'])
      expect(kindOf(sql), sql).toBe('read');
  });

  it('calls the rest other: schema, pragmas that set, transaction control', () => {
    for (const sql of ['CREATE TABLE t (a)', 'ALTER TABLE t ADD b', 'DROP TABLE t', 'PRAGMA journal_mode = WAL', 'PRAGMA synchronous=NORMAL', 'BEGIN IMMEDIATE', 'COMMIT', 'selected_nonsense'])
      expect(kindOf(sql), sql).toBe('other');
  });
});
