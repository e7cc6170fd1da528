// Hrana streams over HTTP: one SQLite connection each for their life, named by single-use batons and dropped
// after a period without requests (rolling back whatever transaction was left open).
import { randomBytes } from 'node:crypto';
import type { Connection } from './connection.ts';
import { ProtocolError, StreamExpiredError } from './errors.ts';

export type Stream = {
  readonly connection: Connection;
  /** Texts saved by `store_sql`, for this stream only. */
  readonly sqls: Map<number, string>;
  closed: boolean;
};

type Parked = { stream: Stream; timer: NodeJS.Timeout };

// sqld remembers expired streams this long, so a late baton is told why it failed.
const EXPIRED_MEMORY_MS = 300_000;

export type StreamRegistryOptions = {
  openConnection: () => Connection;
  /** Takes back the connection of a stream that ended; it must roll back whatever the stream left open. */
  releaseConnection: (connection: Connection) => void;
  idleMs: number;
  /** Called once per stream, after its connection is released. */
  onClose: (stream: Stream) => void;
};

export class StreamRegistry {
  readonly #options: StreamRegistryOptions;
  readonly #open = new Set<Stream>();
  readonly #parked = new Map<string, Parked>();
  readonly #expired = new Map<string, number>();

  constructor(options: StreamRegistryOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#open.size;
  }

  open(): Stream {
    const stream: Stream = { connection: this.#options.openConnection(), sqls: new Map(), closed: false };
    this.#open.add(stream);
    return stream;
  }

  /** The stream a baton names. The baton is spent at once, so a concurrent reuse is refused. */
  take(baton: string): Stream {
    const parked = this.#parked.get(baton);
    if (parked === undefined) {
      if (this.#expired.has(baton)) throw new StreamExpiredError();
      throw new ProtocolError('Received an invalid baton');
    }
    this.#parked.delete(baton);
    clearTimeout(parked.timer);
    return parked.stream;
  }

  /** Hands the stream back to the client under a fresh baton and starts its idle timer. */
  park(stream: Stream): string {
    const baton = randomBytes(24).toString('base64url');
    const timer = setTimeout(() => this.#expire(baton), this.#options.idleMs);
    timer.unref();
    this.#parked.set(baton, { stream, timer });
    return baton;
  }

  close(stream: Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    this.#open.delete(stream);
    this.#options.releaseConnection(stream.connection);
    this.#options.onClose(stream);
  }

  closeAll(): void {
    for (const { timer } of this.#parked.values()) clearTimeout(timer);
    this.#parked.clear();
    for (const stream of [...this.#open]) this.close(stream);
  }

  #expire(baton: string): void {
    const parked = this.#parked.get(baton);
    if (parked === undefined) return;
    this.#parked.delete(baton);
    const now = Date.now();
    for (const [old, at] of this.#expired) {
      if (now - at < EXPIRED_MEMORY_MS) break;
      this.#expired.delete(old);
    }
    this.#expired.set(baton, now);
    this.close(parked.stream);
  }
}
