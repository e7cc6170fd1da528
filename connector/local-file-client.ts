// The store's client for a local file, on the native `libsql` binding that @libsql/client's own file driver
// wraps. That driver prepares every statement afresh on each call and finds out whether a statement returns
// rows by calling raw() on it and catching the error a write throws: a quarter of the connector's CPU under
// the send bench. Here a statement is prepared once per text (kept in a bounded cache, least recently used
// first out, as a text built from a list can vary) and asked once whether it returns rows. Results and errors keep the shape @libsql/client gives: rows readable by index and by
// column name, integers as numbers, BLOBs as ArrayBuffers, failures as LibsqlError with SQLite's codes.
import { Buffer } from 'node:buffer';
import {
  LibsqlBatchError,
  LibsqlError,
  type Client,
  type InArgs,
  type InStatement,
  type InValue,
  type Replicated,
  type ResultSet,
  type Row,
  type Transaction,
  type TransactionMode,
  type Value,
} from '@libsql/client';
import Database from 'libsql';
import { BoundedCache } from '../shared/bounded-cache.ts';
import { kindOf, sqlOf, statementOf } from './statement.ts';

/** A prepared statement with what is read of it once: whether it returns rows, and its columns if so. */
type Prepared = {
  stmt: Database.Statement;
  reader: boolean;
  columns: string[];
  columnTypes: string[];
};

export type LocalFileOptions = {
  /** How long a write waits for another connection's lock before failing with SQLITE_BUSY, in ms. */
  busyTimeoutMs?: number;
  /** Prepared statements kept. */
  statementCapacity?: number;
};

const BEGIN: Record<TransactionMode, string> = { write: 'BEGIN IMMEDIATE', read: 'BEGIN TRANSACTION READONLY', deferred: 'BEGIN DEFERRED' };

export class LocalFileClient implements Client {
  readonly protocol = 'file';
  closed = false;
  readonly #path: string;
  readonly #timeout: number;
  readonly #statements: BoundedCache<string, Prepared>;
  #db: Database.Database;
  /** Settles when the interactive transaction holding the one connection ends; null when none is open. */
  #held: Promise<void> | null = null;

  constructor(path: string, { busyTimeoutMs = 5_000, statementCapacity = 256 }: LocalFileOptions = {}) {
    this.#path = path;
    this.#timeout = busyTimeoutMs;
    this.#statements = new BoundedCache<string, Prepared>(statementCapacity);
    this.#db = this.#open();
  }

  /** Prepared statements kept now, for the tests. */
  get preparedStatements(): number {
    return this.#statements.size;
  }

  execute(stmt: InStatement): Promise<ResultSet>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  async execute(stmt: InStatement | string, args?: InArgs): Promise<ResultSet> {
    await this.#turn();
    const statement = statementOf(stmt, args);
    if (kindOf(sqlOf(statement)) !== 'write' || this.#db.inTransaction) return this.#run(statement);
    this.#control(BEGIN.write);
    try {
      const result = this.#run(statement);
      this.#control('COMMIT');
      return result;
    } catch (e) {
      if (this.#db.inTransaction) this.#control('ROLLBACK');
      throw e;
    }
  }

  async batch(stmts: Array<InStatement | [string, InArgs?]>, mode: TransactionMode = 'deferred'): Promise<ResultSet[]> {
    await this.#turn();
    return this.#inTransaction(BEGIN[mode], stmts.map((s) => (Array.isArray(s) ? statementOf(s[0], s[1] ?? []) : s)));
  }

  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    await this.#turn();
    this.#control('PRAGMA foreign_keys=off');
    try {
      return this.#inTransaction(BEGIN.deferred, stmts);
    } finally {
      this.#control('PRAGMA foreign_keys=on');
    }
  }

  async transaction(mode: TransactionMode = 'write'): Promise<Transaction> {
    await this.#turn();
    this.#control(BEGIN[mode]);
    let end!: () => void;
    this.#held = new Promise((resolve) => (end = resolve));
    return new LocalTransaction(this.#db, (stmt) => this.#run(stmt), (i, stmt) => this.#runInBatch(i, stmt), (sql) => this.#control(sql), () => {
      this.#held = null;
      end();
    });
  }

  async executeMultiple(sql: string): Promise<void> {
    await this.#turn();
    try {
      this.#db.exec(sql);
    } catch (e) {
      throw libsqlErrorOf(e);
    } finally {
      this.#statements.clear();
      if (this.#db.open && this.#db.inTransaction) this.#control('ROLLBACK');
    }
  }

  async sync(): Promise<Replicated> {
    throw new LibsqlError('a local file is not a replica: there is nothing to sync', 'SYNC_NOT_SUPPORTED');
  }

  close(): void {
    this.closed = true;
    this.#statements.clear();
    if (this.#db.open) this.#db.close();
  }

  reconnect(): void {
    this.close();
    this.#db = this.#open();
    this.closed = false;
  }

  #open(): Database.Database {
    return new Database(this.#path, { timeout: this.#timeout });
  }

  /** Waits while an interactive transaction holds the connection; throws once the client is closed. */
  async #turn(): Promise<void> {
    while (this.#held) await this.#held;
    if (this.closed) throw new LibsqlError('The client is closed', 'CLIENT_CLOSED');
  }

  #inTransaction(begin: string, stmts: InStatement[]): ResultSet[] {
    this.#control(begin);
    try {
      const results = stmts.map((s, i) => this.#runInBatch(i, s));
      this.#control('COMMIT');
      return results;
    } catch (e) {
      if (this.#db.inTransaction) this.#control('ROLLBACK');
      throw e;
    }
  }

  /** Runs statement `i` of a batch: a failure says which one, as @libsql/client's LibsqlBatchError does. */
  #runInBatch(i: number, stmt: InStatement): ResultSet {
    try {
      if (!this.#db.inTransaction) throw new LibsqlBatchError('The transaction has been rolled back', i, 'TRANSACTION_CLOSED');
      return this.#run(stmt);
    } catch (e) {
      if (e instanceof LibsqlBatchError || !(e instanceof LibsqlError)) throw e;
      throw new LibsqlBatchError(e.message, i, e.code, e.extendedCode, e.rawCode, e.cause instanceof Error ? e.cause : undefined);
    }
  }

  /**
   * Transaction control, run through exec(), which finalizes the statement even when it fails. A prepared
   * statement that fails with SQLITE_BUSY while committing stays active, with its read snapshot, until it is
   * reset (which this binding cannot do): the connection then stops seeing other processes' commits and its
   * next write fails with SQLITE_BUSY_SNAPSHOT, as @libsql/client's driver does after a SQLITE_BUSY until the
   * garbage collector finalizes the statement. So every write runs inside a BEGIN IMMEDIATE begun here: only
   * that BEGIN waits for another process's lock, and only it can fail for it.
   */
  #control(sql: string): void {
    try {
      this.#db.exec(sql);
    } catch (e) {
      throw libsqlErrorOf(e);
    }
  }

  #run(stmt: InStatement): ResultSet {
    const sql = sqlOf(stmt);
    const args = typeof stmt === 'string' ? [] : argsToSql(stmt.args);
    const kind = kindOf(sql);
    try {
      // A statement that may change the schema is prepared for its one run and not kept; once it has run,
      // the kept statements' columns may be stale, so they are prepared again as they are next asked for.
      const prepared = kind === 'other' ? this.#prepare(sql) : this.#statements.get(sql, (text) => this.#prepare(text));
      if (!prepared.reader) {
        const info = prepared.stmt.run(args);
        return new LocalResultSet([], [], [], info.changes, BigInt(info.lastInsertRowid));
      }
      const values = prepared.stmt.all(args) as unknown[][];
      const columns = prepared.columns;
      return new LocalResultSet(columns, prepared.columnTypes, values.map((v) => rowOf(v, columns)), 0, undefined);
    } catch (e) {
      throw libsqlErrorOf(e);
    } finally {
      if (kind === 'other') this.#statements.clear();
    }
  }

  #prepare(sql: string): Prepared {
    const stmt = this.#db.prepare(sql);
    stmt.safeIntegers(true);
    // Whether it returns rows is a property of the statement (it has result columns), asked once.
    const reader = stmt.reader;
    if (!reader) return { stmt, reader, columns: [], columnTypes: [] };
    stmt.raw(true);
    const columns = stmt.columns();
    return { stmt, reader, columns: columns.map((c) => c.name), columnTypes: columns.map((c) => c.type ?? '') };
  }
}

/** An interactive transaction: it holds the client's one connection until it commits, rolls back or closes. */
class LocalTransaction implements Transaction {
  readonly #db: Database.Database;
  readonly #run: (stmt: InStatement) => ResultSet;
  readonly #runInBatch: (i: number, stmt: InStatement) => ResultSet;
  readonly #control: (sql: string) => void;
  #release: (() => void) | null;

  constructor(
    db: Database.Database,
    run: (stmt: InStatement) => ResultSet,
    runInBatch: (i: number, stmt: InStatement) => ResultSet,
    control: (sql: string) => void,
    release: () => void,
  ) {
    this.#db = db;
    this.#run = run;
    this.#runInBatch = runInBatch;
    this.#control = control;
    this.#release = release;
  }

  get closed(): boolean {
    return this.#release === null || !this.#db.open || !this.#db.inTransaction;
  }

  async execute(stmt: InStatement): Promise<ResultSet> {
    this.#checkOpen();
    return this.#run(stmt);
  }

  async batch(stmts: InStatement[]): Promise<ResultSet[]> {
    this.#checkOpen();
    return stmts.map((s, i) => this.#runInBatch(i, s));
  }

  async executeMultiple(sql: string): Promise<void> {
    this.#checkOpen();
    try {
      this.#db.exec(sql);
    } catch (e) {
      throw libsqlErrorOf(e);
    }
  }

  async rollback(): Promise<void> {
    try {
      if (!this.closed) this.#control('ROLLBACK');
    } finally {
      this.#settle();
    }
  }

  async commit(): Promise<void> {
    try {
      this.#checkOpen();
      this.#control('COMMIT');
    } finally {
      this.#settle();
    }
  }

  close(): void {
    try {
      if (!this.closed) this.#control('ROLLBACK');
    } finally {
      this.#settle();
    }
  }

  #settle(): void {
    const release = this.#release;
    this.#release = null;
    release?.();
  }

  #checkOpen(): void {
    if (this.closed) throw new LibsqlError('The transaction is closed', 'TRANSACTION_CLOSED');
  }
}

class LocalResultSet implements ResultSet {
  readonly columns: string[];
  readonly columnTypes: string[];
  readonly rows: Row[];
  readonly rowsAffected: number;
  readonly lastInsertRowid: bigint | undefined;

  constructor(columns: string[], columnTypes: string[], rows: Row[], rowsAffected: number, lastInsertRowid: bigint | undefined) {
    this.columns = columns;
    this.columnTypes = columnTypes;
    this.rows = rows;
    this.rowsAffected = rowsAffected;
    this.lastInsertRowid = lastInsertRowid;
  }

  toJSON() {
    return {
      columns: this.columns,
      columnTypes: this.columnTypes,
      rows: this.rows.map((row) => Array.prototype.map.call(row, (v: Value) => (typeof v === 'bigint' ? `${v}` : v instanceof ArrayBuffer ? Buffer.from(v).toString('base64') : v))),
      rowsAffected: this.rowsAffected,
      lastInsertRowid: this.lastInsertRowid === undefined ? null : `${this.lastInsertRowid}`,
    };
  }
}

/** A row as @libsql/client makes it: values by index (not enumerable), by column name (enumerable), a length. */
function rowOf(values: unknown[], columns: string[]): Row {
  const row = {} as Row;
  Object.defineProperty(row, 'length', { value: values.length });
  for (let i = 0; i < values.length; i++) {
    const value = valueFromSql(values[i]);
    Object.defineProperty(row, i, { value });
    const column = columns[i]!;
    // The first of two columns with one name is the one the name reads.
    if (!Object.hasOwn(row, column)) Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true });
  }
  return row;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function valueFromSql(value: unknown): Value {
  if (typeof value === 'bigint') {
    if (value < MIN_SAFE || value > MAX_SAFE) throw new RangeError('Received integer which cannot be safely represented as a JavaScript number');
    return Number(value);
  }
  if (value instanceof Buffer) {
    // The whole ArrayBuffer is the value only when the Buffer spans all of it; a slice of a shared one is copied.
    return value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? (value.buffer as ArrayBuffer) : value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  }
  return value as Value;
}

const MIN_INTEGER = -9223372036854775808n;
const MAX_INTEGER = 9223372036854775807n;

function argsToSql(args: InArgs | undefined): unknown[] | Record<string, unknown> {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args.map(valueToSql);
  const named: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) named[name[0] === '@' || name[0] === '$' || name[0] === ':' ? name.slice(1) : name] = valueToSql(value);
  return named;
}

function valueToSql(value: InValue): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments');
    return value;
  }
  if (typeof value === 'bigint') {
    if (value < MIN_INTEGER || value > MAX_INTEGER) throw new RangeError('bigint is too large to be represented as a 64-bit integer and passed as argument');
    return value;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Date) return value.valueOf();
  if (value === undefined) throw new TypeError('undefined cannot be passed as argument to the database');
  return value;
}

/** SQLite's failures as @libsql/client reports them: code the base SQLITE_* name, extendedCode the binding's. */
function libsqlErrorOf(e: unknown): unknown {
  if (!(e instanceof Database.SqliteError)) return e;
  const raw = e.rawCode;
  const code = raw === undefined ? 'SQLITE_UNKNOWN' : (SQLITE_CODES[raw & 0xff] ?? `SQLITE_UNKNOWN_${raw & 0xff}`);
  return new LibsqlError(e.message, code, e.code, raw, e);
}

const SQLITE_CODES: Record<number, string> = {
  1: 'SQLITE_ERROR',
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  16: 'SQLITE_EMPTY',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS',
  23: 'SQLITE_AUTH',
  24: 'SQLITE_FORMAT',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
  27: 'SQLITE_NOTICE',
  28: 'SQLITE_WARNING',
};
