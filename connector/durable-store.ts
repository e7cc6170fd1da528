// The local store's client with durability restored on top of synchronous=NORMAL (wal-sync.ts): every call
// that may have written resolves only after the WAL holding its commit is fsynced. Reads resolve at once; a
// read may see a commit whose fsync is still running, as a reader of any database sees a commit the moment
// it is made, but nothing is acknowledged to anyone before it is durable, because writers hear of their
// commit only after the fsync.
import type { Client, InArgs, InStatement, ResultSet, Transaction, TransactionMode } from '@libsql/client';
import { DelegatingClient } from './delegating-client.ts';
import { kindOf, sqlOf, statementOf } from './statement.ts';
import type { WalSync } from './wal-sync.ts';

export class DurableStore extends DelegatingClient {
  readonly #wal: WalSync;

  constructor(db: Client, wal: WalSync) {
    super(db);
    this.#wal = wal;
  }

  /** WAL fsyncs made so far (wal-sync.ts), for the tests and the benchmark's figures. */
  get syncs(): number {
    return this.#wal.syncs;
  }

  override execute(stmt: InStatement): Promise<ResultSet>;
  override execute(sql: string, args?: InArgs): Promise<ResultSet>;
  override async execute(stmt: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const statement = statementOf(stmt, args);
    const result = await this.inner.execute(statement);
    // Anything but a read (writes, pragmas that set, schema) may have written: it is followed by an fsync.
    if (kindOf(sqlOf(statement)) !== 'read') await this.#wal.sync();
    return result;
  }

  override async batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: TransactionMode): Promise<ResultSet[]> {
    const results = await this.inner.batch(stmts, mode);
    if (mode !== 'read') await this.#wal.sync();
    return results;
  }

  override async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    const results = await this.inner.migrate(stmts);
    await this.#wal.sync();
    return results;
  }

  override async executeMultiple(sql: string): Promise<void> {
    await this.inner.executeMultiple(sql);
    await this.#wal.sync();
  }

  override async transaction(mode?: TransactionMode): Promise<Transaction> {
    const tx = await this.inner.transaction(mode);
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

  override close(): void {
    this.inner.close();
    this.#wal.reset();
  }

  override reconnect(): void {
    this.inner.reconnect();
    this.#wal.reset();
  }
}
