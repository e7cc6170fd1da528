// A map that keeps its most recently used entries up to a fixed count, for values that are cheap to make
// again (prepared statements, lexed SQL): the bound is what keeps endless distinct SQL texts (a list built
// into `IN (?, ?, ?)`, a client of the local libSQL server) from growing memory. Used by the local libSQL
// server and the connector's local file client.
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value kept for `key`, or the one `make` returns, kept in place of the least recently used. */
  get(key: K, make: (key: K) => V): V {
    const found = this.#entries.get(key);
    if (found !== undefined || this.#entries.has(key)) {
      // Moved to the back: a Map iterates in insertion order, so the front is the least recently used.
      this.#entries.delete(key);
      this.#entries.set(key, found as V);
      return found as V;
    }
    const made = make(key);
    this.#entries.set(key, made);
    if (this.#entries.size > this.#capacity) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    return made;
  }

  clear(): void {
    this.#entries.clear();
  }
}
