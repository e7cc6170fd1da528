// The local file client's prepared statements, kept by SQL text: preparing a statement costs more than
// running the small ones the connector issues, and it issues the same few dozen texts again and again.
// Bounded, least recently used first out, as a statement text built from a list (`IN (?, ?, ?)`) can vary.
import type Database from 'libsql';

/** A prepared statement with what is read of it once: whether it returns rows, and its columns if so. */
export type Prepared = {
  stmt: Database.Statement;
  reader: boolean;
  columns: string[];
  columnTypes: string[];
};

export class PreparedStatements {
  readonly #capacity: number;
  readonly #byText = new Map<string, Prepared>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#byText.size;
  }

  /** The statement for `sql`, prepared on `db` by `prepare` when it is not kept yet. */
  get(sql: string, prepare: (sql: string) => Prepared): Prepared {
    const kept = this.#byText.get(sql);
    if (kept) {
      // Map keeps insertion order: moving the text to the end makes the first key the least recently used.
      this.#byText.delete(sql);
      this.#byText.set(sql, kept);
      return kept;
    }
    const prepared = prepare(sql);
    this.#byText.set(sql, prepared);
    if (this.#byText.size > this.#capacity) this.#byText.delete(this.#byText.keys().next().value!);
    return prepared;
  }

  clear(): void {
    this.#byText.clear();
  }
}
