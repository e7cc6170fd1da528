// Connections kept open between streams: opening one costs a file open, the authorizer and reading the schema
// again, more than the statements most requests run. A stream borrows one for its life and gives it back when
// it closes; one that could carry anything over to the next stream (an open transaction, a PRAGMA, a temporary
// table) is closed instead, so every stream still starts as on a fresh connection.
import type { Connection } from './connection.ts';

export type ConnectionPoolOptions = {
  open: () => Connection;
  /** Idle connections kept; more given back at once are closed. */
  maxIdle: number;
};

export class ConnectionPool {
  readonly #options: ConnectionPoolOptions;
  // Last in, first out: the connection used most recently has the warmest statements.
  readonly #idle: Connection[] = [];
  #closed = false;

  constructor(options: ConnectionPoolOptions) {
    this.#options = options;
  }

  get idle(): number {
    return this.#idle.length;
  }

  borrow(): Connection {
    return this.#idle.pop() ?? this.#options.open();
  }

  giveBack(connection: Connection): void {
    if (!this.#closed && connection.reusable && this.#idle.length < this.#options.maxIdle) this.#idle.push(connection);
    else connection.close();
  }

  close(): void {
    this.#closed = true;
    for (const connection of this.#idle.splice(0)) connection.close();
  }
}
