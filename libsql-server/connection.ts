// One SQLite connection (node:sqlite) with the settings every stream gets, running statements and
// reporting their results the way sqld does. It keeps its prepared statements (SQLite prepares a statement
// again by itself when the schema changed), and it says whether a later stream may have it.
import { DatabaseSync, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import { bindArguments } from './arguments.ts';
import { BoundedCache } from '../shared/bounded-cache.ts';
import { sqliteFailure, StatementError } from './errors.ts';
import { refuseFileAccess } from './file-guard.ts';
import type { Lexer } from './lexer-cache.ts';
import type { Col, DescribeResult, Stmt, StmtResult } from './protocol.ts';
import type { SqlStatement } from './sql-lexer.ts';
import { bindSlots } from './slot-binding.ts';
import { fromSqlite } from './values.ts';

// In-process writers are serialised by the write gate, so this only matters when another process (such
// as drizzle-kit) holds the file; kept short because it blocks the event loop.
const BUSY_TIMEOUT_MS = 100;

/** Prepared statements kept per connection: the Worker's texts, with room for its `IN (?, ?, …)` variants. */
const STATEMENTS_KEPT = 128;
/** Longer texts (bulk inserts, a migration) are prepared each time: the cache holds its keys' text too. */
const MAX_KEPT_SQL_LENGTH = 16_384;

// Statements that leave nothing behind on the connection once their transaction ends. Anything else (PRAGMA,
// CREATE TEMP …, any DDL) may change what a later stream on it would see, so such a connection is not reused.
const LEAVES_NO_STATE = new Set(['SELECT', 'VALUES', 'INSERT', 'REPLACE', 'UPDATE', 'DELETE', 'BEGIN', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE']);

// Reads nothing, but running it checks the schema cookie (see #prepareCurrent).
const SCHEMA_PROBE = 'SELECT 1 FROM sqlite_schema WHERE 0';

export class Connection {
  readonly #db: DatabaseSync;
  readonly #counters: StatementSync;
  readonly #lex: Lexer;
  readonly #statements = new BoundedCache<string, StatementSync>(STATEMENTS_KEPT);
  #reusable = true;

  constructor(file: string, lex: Lexer) {
    this.#lex = lex;
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

  /** Whether another stream may have this connection next: no open transaction, no state left behind. */
  get reusable(): boolean {
    return this.#reusable && this.#db.isOpen && !this.#db.isTransaction;
  }

  /** Closing rolls back an open transaction. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  execute(sql: string, stmt: Stmt): StmtResult {
    const statement = this.#onlyStatement(sql);
    // Prepared as written first, as sqld does: its errors come before argument errors, and its column
    // names are the ones to report even when the binding runs a rewritten text.
    const prepared = this.#prepareKept(sql);
    const values = bindArguments(statement.params, stmt.args ?? [], stmt.named_args ?? [], statement.isExplain);
    const binding = bindSlots(sql, statement, values);
    // A kept statement's columns are brought up to date with the schema only when it runs, so the rare
    // rewritten text runs beside a preparation of the source on the current schema, for its column names.
    const rewritten = binding.sql !== sql;
    const named = rewritten ? this.#prepareCurrent(sql) : prepared;
    const runnable = rewritten ? this.#prepare(binding.sql) : prepared;
    if (!LEAVES_NO_STATE.has(statement.keyword)) this.#reusable = false;
    // A statement that cannot write moves no counter, so reading them would tell nothing.
    const counted = !statement.readOnly;
    const totalBefore = counted ? this.#readCounters()[2] : 0n;
    let rows: SQLOutputValue[][];
    try {
      rows = runnable.all(binding.named, ...binding.anonymous) as unknown as SQLOutputValue[][];
    } catch (error) {
      throw sqliteFailure(error);
    }
    const [changes, lastRowid, totalAfter] = counted ? this.#readCounters() : [0n, 0n, 0n];
    return {
      cols: columnsOf(named),
      rows: stmt.want_rows === false ? [] : rows.map((row) => row.map(fromSqlite)),
      // changes() is not reset by statements that change nothing, so it is only news if the total moved.
      affected_row_count: totalAfter === totalBefore ? 0 : Number(changes),
      last_insert_rowid: statement.keyword === 'INSERT' || statement.keyword === 'REPLACE' ? String(lastRowid) : null,
    };
  }

  /** Runs each statement in turn, discarding rows; stops at the first failure, keeping what ran. */
  sequence(sql: string): void {
    this.#reusable = false;
    try {
      this.#db.exec(sql);
    } catch (error) {
      throw sqliteFailure(error);
    }
  }

  describe(sql: string): DescribeResult {
    const statement = this.#onlyStatement(sql);
    const prepared = this.#prepareCurrent(sql);
    return {
      params: statement.params.map((name) => ({ name })),
      cols: columnsOf(prepared),
      is_explain: statement.isExplain,
      is_readonly: statement.readOnly,
    };
  }

  /**
   * Prepared on the schema as it is now. A connection notices a schema change another made only when it
   * next runs a statement that reads the file; a statement prepared before then, and not run, has the old
   * columns. Running the probe first makes this connection read the schema anew if it changed.
   */
  #prepareCurrent(sql: string): StatementSync {
    this.#prepareKept(SCHEMA_PROBE).all();
    return this.#prepare(sql);
  }

  #prepareKept(sql: string): StatementSync {
    if (sql.length > MAX_KEPT_SQL_LENGTH) return this.#prepare(sql);
    return this.#statements.get(sql, (text) => this.#prepare(text));
  }

  #prepare(sql: string): StatementSync {
    try {
      return this.#db.prepare(sql);
    } catch (error) {
      throw sqliteFailure(error);
    }
  }

  #onlyStatement(sql: string): SqlStatement {
    const statements = this.#lex(sql);
    if (statements.length === 0) throw new StatementError('SQL_NO_STATEMENT', 'SQL string does not contain any statement');
    if (statements.length > 1) throw new StatementError('SQL_MANY_STATEMENTS', 'SQL string contains more than one statement');
    return statements[0]!;
  }

  #readCounters(): [bigint, bigint, bigint] {
    return this.#counters.get() as unknown as [bigint, bigint, bigint];
  }
}

function columnsOf(prepared: StatementSync): Col[] {
  return prepared.columns().map((column) => ({ name: column.name, decltype: column.type }));
}
