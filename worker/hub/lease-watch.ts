// When a hub looks at the leases in the directory (failover.ts): while its connector is attached, once a
// lease (no single hub sees every connector, so each live one looks), and after its connector left, until
// that connector's lease ran out. What it must remember across hibernation lives in its KV storage.
import type { Db } from '../db/client.ts';
import { checkLeases, type SessionMove } from './failover.ts';

/** The connector this hub belongs to, once one was welcomed here. */
const OWN_CONNECTOR_KEY = 'own-connector';
/** Set while this hub waits out a lease in the directory though no connector is attached to it. */
const LEASE_WATCH_KEY = 'lease-watch';

export interface LeaseWatchDeps {
  kv: SyncKvStorage;
  db: () => Db;
  leaseMs: () => number;
  /** Whether this hub's connector is attached now. */
  live: () => boolean;
  /** Tells the hubs of both ends of each move, `own` being this hub's connector (session-move.ts handOver). */
  handOver: (moves: SessionMove[], own: string | undefined) => Promise<void>;
  wakeBy: (at: number) => Promise<void>;
}

export class LeaseWatch {
  private readonly deps: LeaseWatchDeps;

  constructor(deps: LeaseWatchDeps) {
    this.deps = deps;
  }

  /** This hub's connector was welcomed at `at`: look a lease from then. */
  async welcomed(connectorId: string, at: number): Promise<void> {
    this.deps.kv.put(OWN_CONNECTOR_KEY, connectorId);
    await this.deps.wakeBy(at + this.deps.leaseMs());
  }

  /**
   * Its link closed at `at`: its lease runs out as its last renewal left it (at most a lease from now), so
   * this hub looks now and then at the lease's end.
   */
  async left(connectorId: string, at: number): Promise<void> {
    this.deps.kv.put(LEASE_WATCH_KEY, true);
    this.deps.kv.put(OWN_CONNECTOR_KEY, connectorId);
    await this.deps.wakeBy(at);
  }

  /** The check, from the alarm; returns when to look again. */
  async check(now: number): Promise<number | null> {
    const live = this.deps.live();
    if (!live && this.deps.kv.get<boolean>(LEASE_WATCH_KEY) !== true) return null;
    const leaseMs = this.deps.leaseMs();
    const own = this.deps.kv.get<string>(OWN_CONNECTOR_KEY);
    try {
      const next = await checkLeases({ db: this.deps.db(), leaseMs, handOver: (moves) => this.deps.handOver(moves, own) }, now);
      if (live) return Math.min(next ?? Infinity, now + leaseMs);
      if (next === null) this.deps.kv.delete(LEASE_WATCH_KEY);
      return next;
    } catch (error) {
      console.error('hub: lease check failed; trying again soon', error);
      return now + leaseMs / 4;
    }
  }
}
