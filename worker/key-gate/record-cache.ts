// The key gate's cached database row. Concurrent first requests share one load; a forget() that arrives
// while a load is in flight wins over it (the load read the row before the revocation committed, so only
// the requests already waiting on it may use it); and a row is read again after a maximum age, so a
// forget() that was lost (an error between revocation and the gate) cannot keep a revoked key alive.

export interface RecordCacheOptions {
  maxAgeMs?: number;
  now?: () => number;
}

export class RecordCache<T> {
  #value: { record: T; loadedAt: number } | undefined;
  #loading: Promise<T> | undefined;
  /** Bumped by forget(): a load started under an older generation is never stored. */
  #generation = 0;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #load: () => Promise<T>;

  constructor(load: () => Promise<T>, options: RecordCacheOptions = {}) {
    this.#load = load;
    this.#maxAgeMs = options.maxAgeMs ?? Number.POSITIVE_INFINITY;
    this.#now = options.now ?? Date.now;
  }

  /** Whether get() would answer without a load. */
  fresh(): boolean {
    return this.#value !== undefined && this.#now() - this.#value.loadedAt <= this.#maxAgeMs;
  }

  get(): Promise<T> {
    if (this.fresh()) return Promise.resolve(this.#value!.record);
    this.#loading ??= this.#start();
    return this.#loading;
  }

  forget(): void {
    this.#generation++;
    this.#value = undefined;
    this.#loading = undefined;
  }

  #start(): Promise<T> {
    const generation = this.#generation;
    const loadedAt = this.#now();
    const loading = this.#load().then(
      (record) => {
        if (generation === this.#generation) {
          this.#value = { record, loadedAt };
          this.#loading = undefined;
        }
        return record;
      },
      (error: unknown) => {
        if (generation === this.#generation) this.#loading = undefined;
        throw error;
      },
    );
    return loading;
  }
}
