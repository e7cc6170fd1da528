// What a store statement is, read from its SQL once for everyone who decides by it: the commit group
// groups writes, the durable store fsyncs after anything that is not a read, the local file client drops
// what it knows of the schema after a statement that may change it.
import type { InArgs, InStatement } from '@libsql/client';

/** One statement from either of `execute`'s forms. */
export function statementOf(stmt: InStatement | string, args?: InArgs): InStatement {
  return typeof stmt === 'string' ? (args === undefined ? stmt : { sql: stmt, args }) : stmt;
}

export function sqlOf(stmt: InStatement): string {
  return typeof stmt === 'string' ? stmt : stmt.sql;
}

/**
 * `read` never changes the database (a query, or a pragma that only reads); `write` changes rows and
 * nothing else; `other` is the rest: schema, pragmas that set, transaction control.
 */
export type StatementKind = 'read' | 'write' | 'other';

const READ = /^\s*(select|explain)\b|^\s*pragma\s+[\w.]+\s*(\(\s*[\w.]*\s*\))?\s*;?\s*$/i;
const WRITE = /^\s*(insert|update|delete|replace)\b/i;

export function kindOf(sql: string): StatementKind {
  if (WRITE.test(sql)) return 'write';
  return READ.test(sql) ? 'read' : 'other';
}
