// Group commit for the connector's store: the writes asked for in one turn of the event loop go to the
// database as one transaction. The local libSQL driver commits synchronously on the event loop, its fsync
// included (0.3 ms on an idle disk, 5-10 ms on a busy one, with nothing else running meanwhile), and one
// send writes several times (its Signal session, its recent message, its message.sent, later its statuses
// and their acks): sends and events that arrive together now share one fsync. Each caller still resolves
// only once its own writes are committed, so nothing is acknowledged before it is durable.
import type { Client, InArgs, InStatement, ResultSet, TransactionMode } from '@libsql/client';
import { DelegatingClient } from './delegating-client.ts';
import { kindOf, sqlOf, statementOf } from './statement.ts';

type Part = { statements: InStatement[]; resolve: (results: ResultSet[]) => void; reject: (error: unknown) => void };
/** One caller's writes, or a join's writes with the held writes it carries: committed all or nothing. */
type Unit = { parts: Part[]; held?: { key: string; parts: Part[] } };

const statementsOf = (unit: Unit): InStatement[] => [...(unit.held?.parts ?? []), ...unit.parts].flatMap((p) => p.statements);

/**
 * The store with its single-statement writes and its `write` batches grouped: they are queued and
 * committed together right after the current turn (setImmediate, so frames and socket events that arrived
 * in the same poll join them). A group that fails is committed again one caller at a time, so one bad
 * write fails only its own caller. Reads, other transaction modes and interactive transactions are not
 * grouped: a caller that awaits its write before reading sees it, as before.
 */
export class CommitGroup extends DelegatingClient {
  #queue: Unit[] = [];
  #scheduled = false;
  /** Writes held back under a key until a join under that key carries them, or a release. */
  readonly #held = new Map<string, Part[]>();
  /** Set while `hold` or `join` runs its synchronous part: the writes asked for then are routed by it. */
  #routing: { key: string; as: 'hold' | 'join' } | null = null;
  /** Commits made and units committed, for the benchmark's figures and the tests. */
  readonly stats = { commits: 0, units: 0 };

  constructor(db: Client) {
    super(db);
  }

  override execute(stmt: InStatement): Promise<ResultSet>;
  override execute(sql: string, args?: InArgs): Promise<ResultSet>;
  override async execute(stmt: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const statement = statementOf(stmt, args);
    // Only row changes are grouped; reads, pragmas and schema go to the database at once.
    if (kindOf(sqlOf(statement)) !== 'write') return this.inner.execute(statement);
    const [result] = await this.#enqueue([statement]);
    return result!;
  }

  override batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: TransactionMode): Promise<ResultSet[]> {
    if (mode !== 'write') return this.inner.batch(stmts, mode);
    return this.#enqueue(stmts.map((s) => (Array.isArray(s) ? statementOf(s[0], s[1]) : s)));
  }

  /**
   * Runs `issue`; the writes it asks for before its first await are held back under `key`, uncommitted,
   * until a `join` under the same key carries them into its own transaction (or `release` sends them on).
   * How an incoming message's event rides in the commit of the Signal keys that decrypted it.
   */
  hold<T>(key: string, issue: () => T): T {
    return this.#routed({ key, as: 'hold' }, issue);
  }

  /**
   * Runs `issue`; the writes it asks for before its first await are committed in one transaction with every
   * write held under `key`, all or nothing: if that transaction fails, the held writes fail with it.
   */
  join<T>(key: string, issue: () => T): T {
    return this.#routed({ key, as: 'join' }, issue);
  }

  /** Whether writes are held under `key`. */
  holds(key: string): boolean {
    return (this.#held.get(key)?.length ?? 0) > 0;
  }

  /** Commits what is still held under `key` (no join came for it) like any other write. */
  release(key: string): void {
    const parts = this.#held.get(key);
    if (!parts?.length) return;
    this.#held.delete(key);
    this.#push({ parts: [], held: { key, parts } });
  }

  #routed<T>(routing: { key: string; as: 'hold' | 'join' }, issue: () => T): T {
    const outer = this.#routing;
    this.#routing = routing;
    try {
      return issue();
    } finally {
      this.#routing = outer;
    }
  }

  #enqueue(statements: InStatement[]): Promise<ResultSet[]> {
    if (statements.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const part: Part = { statements, resolve, reject };
      const routing = this.#routing;
      if (routing?.as === 'hold') {
        this.#held.set(routing.key, [...(this.#held.get(routing.key) ?? []), part]);
        return;
      }
      const held = routing ? this.#held.get(routing.key) : undefined;
      if (routing && held?.length) this.#held.delete(routing.key);
      this.#push(routing && held?.length ? { parts: [part], held: { key: routing.key, parts: held } } : { parts: [part] });
    });
  }

  #push(unit: Unit): void {
    this.#queue.push(unit);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => void this.#commit());
  }

  async #commit(): Promise<void> {
    const group = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    if (group.length === 1) return this.#commitAlone(group[0]!);
    let results: ResultSet[];
    try {
      results = await this.inner.batch(group.flatMap(statementsOf), 'write');
    } catch {
      // The whole transaction was rolled back: each caller's writes get a transaction of their own.
      for (const unit of group) await this.#commitAlone(unit);
      return;
    }
    this.stats.commits++;
    this.stats.units += group.length;
    let at = 0;
    for (const unit of group) at = settle(unit, results, at);
  }

  async #commitAlone(unit: Unit): Promise<void> {
    try {
      const results = await this.inner.batch(statementsOf(unit), 'write');
      this.stats.commits++;
      this.stats.units++;
      settle(unit, results, 0);
    } catch (error) {
      for (const part of [...(unit.held?.parts ?? []), ...unit.parts]) part.reject(error);
    }
  }
}

/** Hands each part of a committed unit its own results, from `at` in the transaction's; returns where the next unit's begin. */
function settle(unit: Unit, results: ResultSet[], at: number): number {
  for (const part of [...(unit.held?.parts ?? []), ...unit.parts]) {
    part.resolve(results.slice(at, at + part.statements.length));
    at += part.statements.length;
  }
  return at;
}
