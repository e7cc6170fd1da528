import { describe, expect, it } from 'vitest';
import { splitStatements } from './sql-lexer.ts';

const texts = (sql: string) => splitStatements(sql).map((statement) => statement.text);

describe('splitStatements', () => {
  it('splits on semicolons but not inside strings, identifiers or comments', () => {
    expect(texts(`SELECT 'a;b', "c;d", [e;f], \`g;h\`; -- x;y\n SELECT /* ; */ 2`)).toEqual([
      `SELECT 'a;b', "c;d", [e;f], \`g;h\`;`,
      'SELECT /* ; */ 2',
    ]);
  });

  it('handles doubled quotes inside literals', () => {
    expect(texts(`SELECT 'it''s; here'; SELECT "a"";b"`)).toHaveLength(2);
  });

  it('drops empty statements and comment-only text', () => {
    expect(texts(';; -- nothing\n /* at all */ ;')).toEqual([]);
    expect(texts('SELECT 1;;')).toEqual(['SELECT 1;']);
  });

  it('keeps a trigger body together until the END that closes it', () => {
    const sql = `CREATE TEMP TRIGGER t AFTER INSERT ON a BEGIN
      INSERT INTO b VALUES (CASE WHEN new.x > 0 THEN 'pos;' ELSE 'neg' END);
      DELETE FROM c;
    END; SELECT 1`;
    const statements = texts(sql);
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/^CREATE TEMP TRIGGER[\s\S]*END;$/);
  });

  it('numbers parameters as SQLite does', () => {
    const [statement] = splitStatements('SELECT ?, :a, ?5, ?, :a, @b, $c, ?2');
    expect(statement?.params).toEqual([null, ':a', null, null, '?5', null, '@b', '$c']);
  });

  it('records each bare ? with its number and where it ends', () => {
    expect(splitStatements('SELECT ?3, ?, :a, ?')[0]?.bareParams).toEqual([{ index: 4, end: 12 }, { index: 6, end: 19 }]);
  });

  it('leaves out-of-range numbers to SQLite instead of numbering them', () => {
    expect(splitStatements('SELECT ?0, ?99999999999, ?')[0]?.params).toEqual([null]);
  });

  it('names a ?NNN slot only when no name took it first', () => {
    expect(splitStatements('SELECT :a, ?1, ?2')[0]?.params).toEqual([':a', '?2']);
  });

  it('finds the main keyword after EXPLAIN and WITH', () => {
    const [explain, withInsert, withSelect] = splitStatements(
      'EXPLAIN QUERY PLAN DELETE FROM t; WITH x(n) AS (SELECT 1) INSERT INTO t SELECT n FROM x; WITH RECURSIVE r AS (VALUES(1)) SELECT * FROM r',
    );
    expect(explain).toMatchObject({ keyword: 'DELETE', isExplain: true, readOnly: true });
    expect(withInsert).toMatchObject({ keyword: 'INSERT', readOnly: false });
    expect(withSelect).toMatchObject({ keyword: 'SELECT', readOnly: true });
  });

  it('classifies read-only statements', () => {
    const readOnly = (sql: string) => splitStatements(sql)[0]?.readOnly;
    for (const sql of ['SELECT 1', 'VALUES (1)', 'BEGIN', 'BEGIN DEFERRED', 'BEGIN TRANSACTION READONLY', 'COMMIT', 'END',
      'ROLLBACK', 'SAVEPOINT s', 'RELEASE s', 'PRAGMA table_info(t)']) {
      expect(readOnly(sql), sql).toBe(true);
    }
    for (const sql of ['BEGIN IMMEDIATE', 'BEGIN EXCLUSIVE', 'INSERT INTO t VALUES (1)', 'REPLACE INTO t VALUES (1)',
      'UPDATE t SET a = 1', 'DELETE FROM t', 'CREATE TABLE t (a)', 'PRAGMA foreign_keys = off', 'VACUUM']) {
      expect(readOnly(sql), sql).toBe(false);
    }
  });
});
