// Lets one stream at a time write, and keeps it while that stream's transaction stays open across
// requests. Others wait asynchronously, so the event loop never spins in SQLite's busy handler while the
// request that would free the lock is queued behind it.

type Waiter<Owner> = { owner: Owner; grant: (granted: boolean) => void };

export class WriteGate<Owner> {
  #holder: Owner | null = null;
  readonly #waiting: Waiter<Owner>[] = [];

  get holder(): Owner | null {
    return this.#holder;
  }

  /** Resolves true once `owner` holds the gate, or false if it is still taken after `timeoutMs`. */
  acquire(owner: Owner, timeoutMs: number): Promise<boolean> {
    if (this.#holder === owner) return Promise.resolve(true);
    if (this.#holder === null && this.#waiting.length === 0) {
      this.#holder = owner;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const waiter: Waiter<Owner> = {
        owner,
        grant: (granted) => {
          clearTimeout(timer);
          resolve(granted);
        },
      };
      this.#waiting.push(waiter);
    });
  }

  /** Passes the gate to the longest waiter; a no-op unless `owner` holds it. */
  release(owner: Owner): void {
    if (this.#holder !== owner) return;
    const next = this.#waiting.shift();
    this.#holder = next ? next.owner : null;
    next?.grant(true);
  }

  /** Turns every waiter away; used on shutdown. */
  refuseAll(): void {
    for (const waiter of this.#waiting.splice(0)) waiter.grant(false);
  }
}
