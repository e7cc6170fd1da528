// Connector leases and failover. A connector's lease is renewed while its socket is attached (its pings
// are answered by the runtime, without waking the hub) and runs out CONNECTOR_LEASE_SECONDS after the
// socket closed (or after the last ping answered on it, if the runtime says). A connector whose lease ran out loses its sessions to the live
// connectors, least loaded first; the connector fenced itself at half the lease (connector/fence.ts), so a
// session never runs on two at once. Moving a session changes its owner only: nothing is unlinked.
import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { sessions } from '../../shared/db/schema.ts';
import type { DesiredSession } from '../../shared/protocol.ts';
import type { Db } from '../db/client.ts';
import { desiredOf } from './desired.ts';

const LEASE_KEY = 'lease:';

export interface FailoverDeps {
  db: () => Db;
  kv: SyncKvStorage;
  /** The attached, authenticated connector sockets by connector id. */
  attached: () => Map<string, WebSocket>;
  leaseMs: () => number;
  /** When the runtime last answered a ping on the socket (ctx.getWebSocketAutoResponseTimestamp). */
  answeredAt: (ws: WebSocket) => number | undefined;
  /** Records each session's new tenure (tenures.ts) and tells a connector the sessions it was just given. */
  moved: (connectorId: string, desired: DesiredSession[], from: Map<string, string>) => void;
}

/**
 * Gives each session to the connector with the fewest sessions at that moment (ties by id), counting the
 * ones just given: a dead connector's sessions spread evenly instead of all landing on one.
 */
export function spreadByLoad(sessionIds: readonly string[], loads: ReadonlyMap<string, number>): Map<string, string> {
  const load = new Map(loads);
  const chosen = new Map<string, string>();
  for (const sessionId of sessionIds) {
    let best: string | undefined;
    for (const [id, n] of load) if (best === undefined || n < load.get(best)! || (n === load.get(best)! && id < best)) best = id;
    if (best === undefined) break;
    chosen.set(sessionId, best);
    load.set(best, load.get(best)! + 1);
  }
  return chosen;
}

export class Failover {
  private readonly deps: FailoverDeps;

  constructor(deps: FailoverDeps) {
    this.deps = deps;
  }

  /** The hub heard from the connector at `at` (a welcome, or its socket's last answered ping on close). */
  heard(connectorId: string, at: number): void {
    const known = this.deps.kv.get<number>(LEASE_KEY + connectorId) ?? 0;
    if (at > known) this.deps.kv.put(LEASE_KEY + connectorId, at);
  }

  /** When the hub last heard from the connector, counting the pings the runtime answered on `ws`. */
  lastHeard(connectorId: string, ws?: WebSocket): number | undefined {
    const stored = this.deps.kv.get<number>(LEASE_KEY + connectorId);
    const pinged = ws ? this.deps.answeredAt(ws) : undefined;
    if (stored === undefined) return pinged;
    return pinged === undefined ? stored : Math.max(stored, pinged);
  }

  /**
   * Expires lapsed leases and moves their sessions. Returns when to look again: the earliest lease that
   * could lapse next, or null when no connector holds a lease worth watching.
   */
  async check(now: number): Promise<number | null> {
    const leaseMs = this.deps.leaseMs();
    let next: number | null = null;
    const soonest = (at: number) => (next = next === null ? at : Math.min(next, at));

    // An attached connector is live: its socket closes when it stops answering (its own heartbeat check, or
    // TCP), and its lease then runs from that moment.
    const live = new Map<string, number>([...this.deps.attached().keys()].map((id) => [id, 0]));

    const db = this.deps.db();
    const owners = await db
      .select({ connectorId: sessions.connectorId, count: sql<number>`count(*)` })
      .from(sessions)
      .where(isNotNull(sessions.connectorId))
      .groupBy(sessions.connectorId);
    const lapsed: string[] = [];
    for (const { connectorId, count } of owners) {
      if (!connectorId) continue;
      if (live.has(connectorId)) {
        live.set(connectorId, Number(count));
        continue;
      }
      let last = this.lastHeard(connectorId);
      // A connector never heard from by this hub (its record lost with an evicted hub): its lease runs from now.
      if (last === undefined) {
        this.heard(connectorId, now);
        last = now;
      }
      if (last + leaseMs <= now) lapsed.push(connectorId);
      else soonest(last + leaseMs);
    }
    if (lapsed.length === 0) return next;
    // Nobody to take them yet: look again in a lease (a connector that says hello meanwhile is welcomed with
    // sessions nobody live holds only by the normal placement).
    if (live.size === 0) return soonest(now + leaseMs);
    await this.move(db, lapsed, live, now);
    return next;
  }

  private async move(db: Db, lapsed: string[], loads: Map<string, number>, now: number): Promise<void> {
    const rows = await db
      .select({
        sessionId: sessions.id,
        connectorId: sessions.connectorId,
        state: sessions.desiredState,
        authEpoch: sessions.authEpoch,
        startEpoch: sessions.startEpoch,
        expectedPhone: sessions.expectedPhone,
      })
      .from(sessions)
      .where(inArray(sessions.connectorId, lapsed))
      .orderBy(sessions.id);
    const chosen = spreadByLoad(
      rows.map((r) => r.sessionId),
      loads,
    );
    const updates = rows.map((r) =>
      db
        .update(sessions)
        .set({ connectorId: chosen.get(r.sessionId)! })
        // Only from the owner we saw: a move made meanwhile (by hand, another check) stands.
        .where(and(eq(sessions.id, r.sessionId), eq(sessions.connectorId, r.connectorId!))),
    );
    const [first, ...rest] = updates;
    if (first) await db.batch([first, ...rest]);
    const from = new Map(rows.map((r) => [r.sessionId, r.connectorId!]));
    const byTarget = new Map<string, DesiredSession[]>();
    for (const row of rows) {
      const target = chosen.get(row.sessionId)!;
      byTarget.set(target, [...(byTarget.get(target) ?? []), desiredOf(row)]);
    }
    console.warn(`hub: leases of ${lapsed.join(', ')} ran out; moved ${rows.length} sessions to ${[...byTarget.keys()].join(', ')} at ${new Date(now).toISOString()}`);
    for (const [target, desired] of byTarget) this.deps.moved(target, desired, from);
  }
}
