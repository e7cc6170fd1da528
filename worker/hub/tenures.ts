// Each session's tenure on a connector, kept by the hub: a fencing epoch bumped by every move, and the
// connectors it was moved away from (the last few), whose late facts still count (event-fence.ts).
const KEY = 'tenure:';
/** Former owners remembered per session; a session moved more often than this between acks is unheard of. */
const FORMER_KEPT = 4;

export type Tenure = { epoch: number; former: string[] };

export class Tenures {
  private readonly kv: SyncKvStorage;

  constructor(kv: SyncKvStorage) {
    this.kv = kv;
  }

  of(sessionId: string): Tenure {
    return this.kv.get<Tenure>(KEY + sessionId) ?? { epoch: 0, former: [] };
  }

  /** The session moved from `from` to `to`: a new epoch, and `from` is heard for the facts it still reports. */
  moved(sessionId: string, from: string, to: string): Tenure {
    const { epoch, former } = this.of(sessionId);
    const next = { epoch: epoch + 1, former: [from, ...former.filter((id) => id !== from && id !== to)].slice(0, FORMER_KEPT) };
    this.kv.put(KEY + sessionId, next);
    return next;
  }

  forget(sessionId: string): void {
    this.kv.delete(KEY + sessionId);
  }
}
