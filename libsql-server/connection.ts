// One SQLite connection (node:sqlite) with the settings every stream gets, running statements and
// reporting their results the way sqld does.
import { DatabaseSync, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import { bindArguments } from './arguments.ts';
import { sqliteFailure, StatementError } from './errors.ts';
import { refuseFileAccess } from './file-guard.ts';
import type { Col, DescribeResult, Stmt, StmtResult } from './protocol.ts';
import { type SqlStatement, splitStatements } from './sql-lexer.ts';
import { bindSlots } from './slot-binding.ts';
import { fromSqlite } from './values.ts';

// In-process writers are serialised by the write gate, so this only matters when another process (such
// as drizzle-kit) holds the file; kept short because it blocks the event loop.
const BUSY_TIMEOUT_MS = 100;

export class Connection {
  readonly #db: DatabaseSync;
  readonly #counters: StatementSync;

  constructor(file: string) {
    this.#db = new DatabaseSync(file, {
      enableForeignKeyConstraints: true, // always on in sqld
      enableDoubleQuotedStringLiterals: true, // stock SQLite (and so libSQL) accepts them
      timeout: BUSY_TIMEOUT_MS,
      readBigInts: true,
      returnArrays: true,
    });
    refuseFileAccess(this.#db);
    this.#counters = this.#db.prepare('SELECT changes(), last_insert_rowid(), total_changes()');
  }

  /** WAL lets readers on other streams see committed data while a writer holds its transaction open. */
  useWal(): void {
    this.#db.exec('PRAGMA journal_mode = WAL');
  }

  get inTransaction(): boolean {
    return this.#db.isTransaction;
  }

  /** Closing rolls back an open transaction. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  execute(sql: string, stmt: Stmt): StmtResult {
    const statement = onlyStatement(sql);
    // Prepared as written first, as sqld does: its errors come before argument errors, and its column
    // names are the ones to report even when the binding runs a rewritten text.
    const prepared = this.#prepare(sql);
    const values = bindArguments(statement.params, stmt.args ?? [], stmt.named_args ?? [], statement.isExplain);
    const binding = bindSlots(sql, statement, values);
    const runnable = binding.sql === sql ? prepared : this.#prepare(binding.sql);
    const [, , totalBefore] = this.#readCounters();
    let rows: SQLOutputValue[][];
    try {
      rows = runnable.all(binding.named, ...binding.anonymous) as unknown as SQLOutputValue[][];
    } catch (error) {
      throw sqliteFailure(error);
    }
    const [changes, lastRowid, totalAfter] = this.#readCounters();
    return {
      cols: columnsOf(prepared),
      rows: stmt.want_rows === false ? [] : rows.map((row) => row.map(fromSqlite)),
      // changes() is not reset by statements that change nothing, so it is only news if the total moved.
      affected_row_count: totalAfter === totalBefore ? 0 : Number(changes),
      last_insert_rowid: statement.keyword === 'INSERT' || statement.keyword === 'REPLACE' ? String(lastRowid) : null,
    };
  }

  /** Runs each statement in turn, discarding rows; stops at the first failure, keeping what ran. */
  sequence(sql: string): void {
    try {
      this.#db.exec(sql);
    } catch (error) {
      throw sqliteFailure(error);
    }
  }

  describe(sql: string): DescribeResult {
    const statement = onlyStatement(sql);
    const prepared = this.#prepare(sql);
    return {
      params: statement.params.map((name) => ({ name })),
      cols: columnsOf(prepared),
      is_explain: statement.isExplain,
      is_readonly: statement.readOnly,
    };
  }

  #prepare(sql: string): StatementSync {
    try {
      return this.#db.prepare(sql);
    } catch (error) {
      throw sqliteFailure(error);
    }
  }

  #readCounters(): [bigint, bigint, bigint] {
    return this.#counters.get() as unknown as [bigint, bigint, bigint];
  }
}

function onlyStatement(sql: string): SqlStatement {
  const statements = splitStatements(sql);
  if (statements.length === 0) throw new StatementError('SQL_NO_STATEMENT', 'SQL string does not contain any statement');
  if (statements.length > 1) throw new StatementError('SQL_MANY_STATEMENTS', 'SQL string contains more than one statement');
  return statements[0]!;
}

function columnsOf(prepared: StatementSync): Col[] {
  return prepared.columns().map((column) => ({ name: column.name, decltype: column.type }));
}
