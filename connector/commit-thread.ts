// Commits off the event loop. The local libSQL driver commits synchronously, its fsync included: on a busy
// disk 5-15 ms per commit during which the connector runs nothing else, so a burst of sends spent most of
// its time waiting for the disk with every session stalled. This thread holds its own connection to the
// same file and commits the groups CommitGroup hands it while the event loop goes on; a caller still
// resolves only once its writes are committed (the thread answers after COMMIT returns), so nothing is
// acknowledged before it is durable. Only for a local `file:` store: a remote one is awaited anyway.
import { Worker } from 'node:worker_threads';
import { LibsqlError, type InStatement, type ResultSet, type Row } from '@libsql/client';
import type { CommitReply, CommitRequest, PlainResult } from './commit-thread-worker.ts';

/** Commits one group of write statements as one transaction. */
export type Committer = (statements: InStatement[]) => Promise<ResultSet[]>;

type Waiting = { resolve: (results: ResultSet[]) => void; reject: (error: unknown) => void };

function resultSet({ columns, rows, rowsAffected, lastInsertRowid }: PlainResult): ResultSet {
  const named = rows.map((values) => {
    const row = [...values] as unknown as Row;
    columns.forEach((name, i) => Object.defineProperty(row, name, { value: values[i], enumerable: false }));
    return row;
  });
  const set = { columns, columnTypes: columns.map(() => ''), rows: named, rowsAffected, lastInsertRowid };
  return { ...set, toJSON: () => ({ ...set, rows: rows, lastInsertRowid: lastInsertRowid?.toString() }) };
}

export class CommitThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  #next = 0;
  readonly #inFlight = new Set<Promise<ResultSet[]>>();
  /** Why the thread stopped, once it has: later commits fail with it. */
  #dead: Error | null = null;

  /** `url`: the store's `file:` URL, which the thread opens a second connection to. */
  constructor(url: string) {
    this.#worker = new Worker(new URL('./commit-thread-worker.ts', import.meta.url), { workerData: { url } });
    // Idle, the thread does not keep the process alive; a commit in flight does (see #settled).
    this.#worker.unref();
    this.#worker.on('message', (reply: CommitReply) => {
      const waiting = this.#waiting.get(reply.id);
      if (!waiting) return;
      this.#waiting.delete(reply.id);
      this.#settled();
      if (reply.ok) waiting.resolve(reply.results.map(resultSet));
      else waiting.reject(new LibsqlError(reply.error.message, reply.error.code, reply.error.extendedCode, reply.error.rawCode));
    });
    this.#worker.on('error', (error) => this.#stop(error));
    this.#worker.on('exit', (code) => this.#stop(new Error(`the commit thread exited (${code})`)));
  }

  readonly commit: Committer = (statements) => {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    const committed = new Promise<ResultSet[]>((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, statements } satisfies CommitRequest);
    });
    this.#inFlight.add(committed);
    const forget = () => this.#inFlight.delete(committed);
    committed.then(forget, forget);
    return committed;
  };

  /** Stops the thread once the commits in flight have answered. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
    this.#dead ??= new Error('the commit thread is closed');
    await this.#worker.terminate();
  }

  #settled(): void {
    if (this.#waiting.size === 0) this.#worker.unref();
  }

  /**
   * The thread is gone: what it was committing may or may not be durable, so its callers are failed (as a
   * failed commit would be) and later groups are refused, never silently dropped.
   */
  #stop(error: Error): void {
    this.#dead ??= error;
    for (const [id, waiting] of this.#waiting) {
      this.#waiting.delete(id);
      waiting.reject(this.#dead);
    }
  }
}
