// The local store's client with durability restored on top of synchronous=NORMAL (wal-sync.ts): every call
// that may have written resolves only after the WAL holding its commit is fsynced. Reads resolve at once; a
// read may see a commit whose fsync is still running, as a reader of any database sees a commit the moment
// it is made, but nothing is acknowledged to anyone before it is durable, because writers hear of their
// commit only after the fsync.
import type { Client, InArgs, InStatement, ResultSet, Transaction, TransactionMode } from '@libsql/client';
import type { WalSync } from './wal-sync.ts';

/** Statements that never write: anything else (pragmas that set, DDL, writes) is followed by an fsync. */
const READ = /^\s*(select|explain)\b|^\s*pragma\s+[\w.]+\s*(\(\s*[\w.]*\s*\))?\s*;?\s*$/i;

const sqlOf = (stmt: InStatement): string => (typeof stmt === 'string' ? stmt : stmt.sql);

export class DurableStore implements Client {
  readonly #db: Client;
  readonly #wal: WalSync;

  constructor(db: Client, wal: WalSync) {
    this.#db = db;
    this.#wal = wal;
  }

  /** WAL fsyncs made so far (wal-sync.ts), for the tests and the benchmark's figures. */
  get syncs(): number {
    return this.#wal.syncs;
  }

  get closed(): boolean {
    return this.#db.closed;
  }

  get protocol(): string {
    return this.#db.protocol;
  }

  execute(stmt: InStatement): Promise<ResultSet>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  async execute(stmt: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const statement: InStatement = typeof stmt === 'string' && args !== undefined ? { sql: stmt, args } : stmt;
    const result = await this.#db.execute(statement);
    if (!READ.test(sqlOf(statement))) await this.#wal.sync();
    return result;
  }

  async batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: TransactionMode): Promise<ResultSet[]> {
    const results = await this.#db.batch(stmts, mode);
    if (mode !== 'read') await this.#wal.sync();
    return results;
  }

  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    const results = await this.#db.migrate(stmts);
    await this.#wal.sync();
    return results;
  }

  async executeMultiple(sql: string): Promise<void> {
    await this.#db.executeMultiple(sql);
    await this.#wal.sync();
  }

  async transaction(mode?: TransactionMode): Promise<Transaction> {
    const tx = await this.#db.transaction(mode);
    const wal = this.#wal;
    return {
      execute: (stmt) => tx.execute(stmt),
      batch: (stmts) => tx.batch(stmts),
      executeMultiple: (sql) => tx.executeMultiple(sql),
      rollback: () => tx.rollback(),
      async commit() {
        await tx.commit();
        if (mode !== 'read') await wal.sync();
      },
      close: () => tx.close(),
      get closed() {
        return tx.closed;
      },
    };
  }

  sync() {
    return this.#db.sync();
  }

  close(): void {
    this.#db.close();
    this.#wal.reset();
  }

  reconnect(): void {
    this.#db.reconnect();
    this.#wal.reset();
  }
}
