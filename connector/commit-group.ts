// Group commit for the connector's store: the writes asked for in one turn of the event loop go to the
// database as one transaction. The local libSQL driver commits synchronously on the event loop, its fsync
// included (0.3 ms on an idle disk, 5-10 ms on a busy one, with nothing else running meanwhile), and one
// send writes several times (its Signal session, its recent message, its message.sent, later its statuses
// and their acks): sends and events that arrive together now share one fsync. Each caller still resolves
// only once its own writes are committed, so nothing is acknowledged before it is durable.
import type { Client, InArgs, InStatement, ResultSet, Transaction, TransactionMode } from '@libsql/client';

type Unit = { statements: InStatement[]; resolve: (results: ResultSet[]) => void; reject: (error: unknown) => void };

/** Statements that change rows; anything else (reads, pragmas, schema) goes to the database at once. */
const WRITE = /^\s*(insert|update|delete|replace)\b/i;

function statementOf(stmt: InStatement | string, args?: InArgs): InStatement {
  return typeof stmt === 'string' ? (args === undefined ? stmt : { sql: stmt, args }) : stmt;
}

function sqlOf(stmt: InStatement): string {
  return typeof stmt === 'string' ? stmt : stmt.sql;
}

/**
 * The store with its single-statement writes and its `write` batches grouped: they are queued and
 * committed together right after the current turn (setImmediate, so frames and socket events that arrived
 * in the same poll join them). A group that fails is committed again one caller at a time, so one bad
 * write fails only its own caller. Reads, other transaction modes and interactive transactions are not
 * grouped: a caller that awaits its write before reading sees it, as before.
 */
export class CommitGroup implements Client {
  readonly #db: Client;
  #queue: Unit[] = [];
  #scheduled = false;
  /** Commits made and units committed, for the benchmark's figures and the tests. */
  readonly stats = { commits: 0, units: 0 };

  constructor(db: Client) {
    this.#db = db;
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
    const statement = statementOf(stmt, args);
    if (!WRITE.test(sqlOf(statement))) return this.#db.execute(statement);
    const [result] = await this.#enqueue([statement]);
    return result!;
  }

  batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: TransactionMode): Promise<ResultSet[]> {
    if (mode !== 'write') return this.#db.batch(stmts, mode);
    return this.#enqueue(stmts.map((s) => (Array.isArray(s) ? statementOf(s[0], s[1]) : s)));
  }

  migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    return this.#db.migrate(stmts);
  }

  transaction(mode?: TransactionMode): Promise<Transaction> {
    return this.#db.transaction(mode);
  }

  executeMultiple(sql: string): Promise<void> {
    return this.#db.executeMultiple(sql);
  }

  sync() {
    return this.#db.sync();
  }

  close(): void {
    this.#db.close();
  }

  reconnect(): void {
    this.#db.reconnect();
  }

  #enqueue(statements: InStatement[]): Promise<ResultSet[]> {
    if (statements.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#queue.push({ statements, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => void this.#commit());
    });
  }

  async #commit(): Promise<void> {
    const group = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    if (group.length === 1) return this.#commitAlone(group[0]!);
    let results: ResultSet[];
    try {
      results = await this.#db.batch(
        group.flatMap((u) => u.statements),
        'write',
      );
    } catch {
      // The whole transaction was rolled back: each caller's writes get a transaction of their own.
      for (const unit of group) await this.#commitAlone(unit);
      return;
    }
    this.stats.commits++;
    this.stats.units += group.length;
    let at = 0;
    for (const unit of group) {
      unit.resolve(results.slice(at, at + unit.statements.length));
      at += unit.statements.length;
    }
  }

  async #commitAlone(unit: Unit): Promise<void> {
    try {
      const results = await this.#db.batch(unit.statements, 'write');
      this.stats.commits++;
      this.stats.units++;
      unit.resolve(results);
    } catch (error) {
      unit.reject(error);
    }
  }
}
