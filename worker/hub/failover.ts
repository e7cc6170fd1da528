// Connector leases and failover over the Turso directory. Each connector has its own hub, so no hub sees
// every connector: the lease lives in `connectors.lease_expires_at`. A connector holds its lease only on
// evidence: its hub writes a lease from each renewal the connector asks for (every lease / 4) before it
// answers, and the connector counts its lease from the last answered one. A hub that loses its connector's
// link, a socket gone silent without closing, or a hub lost without recording anything all end the same
// way: renewals stop and the lease runs out. Any hub may check the directory (the hub whose connector
// left; a hub with a live connector, once a lease): a connector whose lease ran out, whatever its row's
// `attached` says, loses its sessions to the connectors holding a lease and not draining, least loaded
// first. The checker first takes the lease under a new epoch, so the lapsed link's hub cannot renew it
// again. The connector fenced itself at 3/4 of the lease (connector/fence.ts), so a session never runs on
// two at once. A move changes the owner and records the former one (event-fence.ts); nothing is unlinked.
import { and, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import { connectors, sessions } from '../../shared/db/schema.ts';
import type { Db } from '../db/client.ts';
import { takeLapsedLeases } from './directory.ts';
import { formerAfterMove } from './event-fence.ts';

export type SessionMove = { sessionId: string; from: string; to: string };

export interface FailoverDeps {
  db: Db;
  leaseMs: number;
  /** The moved sessions' hubs learn of it: the new owner's starts them, the old owner's lets them go. */
  handOver: (moves: SessionMove[]) => Promise<void>;
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

/**
 * Moves the sessions of every connector whose lease ran out. Returns when a lease that has not run out yet
 * will (or when to look again because nobody could take them), or null when no lease is worth watching.
 */
export async function checkLeases(d: FailoverDeps, now: number): Promise<number | null> {
  const { db, leaseMs } = d;
  let next: number | null = null;
  const soonest = (at: number) => (next = next === null ? at : Math.min(next, at));

  const owners = await db
    .select({ connectorId: sessions.connectorId, count: sql<number>`count(*)` })
    .from(sessions)
    .where(isNotNull(sessions.connectorId))
    .groupBy(sessions.connectorId);
  const directory = await db
    .select({ id: connectors.id, attached: connectors.attached, draining: connectors.draining, leaseExpiresAt: connectors.leaseExpiresAt })
    .from(connectors);
  const known = new Map(directory.map((c) => [c.id, c]));
  const load = (id: string) => Number(owners.find((o) => o.connectorId === id)?.count ?? 0);
  const leased = (c: (typeof directory)[number]) => c.leaseExpiresAt != null && c.leaseExpiresAt > now;
  const live = new Map(directory.filter((c) => c.attached && !c.draining && leased(c)).map((c) => [c.id, load(c.id)]));

  const lapsed: string[] = [];
  for (const { connectorId } of owners) {
    if (!connectorId) continue;
    const c = known.get(connectorId);
    if (c?.leaseExpiresAt == null) {
      // Never leased here (no row, or one from before leases): its lease runs from now, not from the past.
      await db
        .insert(connectors)
        .values({ id: connectorId, attached: false, leaseExpiresAt: now + leaseMs })
        .onConflictDoUpdate({ target: connectors.id, set: { leaseExpiresAt: now + leaseMs }, setWhere: isNull(connectors.leaseExpiresAt) });
      soonest(now + leaseMs);
    } else if (c.leaseExpiresAt <= now) lapsed.push(connectorId);
    else soonest(c.leaseExpiresAt);
  }
  if (lapsed.length === 0) return next;
  // Nobody to take them yet: look again in a lease (a connector that says hello meanwhile takes the
  // sessions whose login it holds by the normal placement).
  if (live.size === 0) return soonest(now + leaseMs);
  const taken = await takeLapsedLeases(db, lapsed, now);
  if (taken.length === 0) return next;
  const moves = await move(db, taken, live);
  console.warn(`hub: leases of ${taken.join(', ')} ran out; moved ${moves.length} sessions at ${new Date(now).toISOString()}`);
  await d.handOver(moves);
  return next;
}

async function move(db: Db, lapsed: string[], loads: Map<string, number>): Promise<SessionMove[]> {
  const rows = await db
    .select({ sessionId: sessions.id, connectorId: sessions.connectorId, formerConnectors: sessions.formerConnectors })
    .from(sessions)
    .where(inArray(sessions.connectorId, lapsed))
    .orderBy(sessions.id);
  const chosen = spreadByLoad(
    rows.map((r) => r.sessionId),
    loads,
  );
  const updates = rows.map((r) => {
    const to = chosen.get(r.sessionId)!;
    return (
      db
        .update(sessions)
        .set({ connectorId: to, formerConnectors: formerAfterMove(r.formerConnectors, r.connectorId!, to) })
        // Only from the owner we saw: a move made meanwhile (by hand, another hub's check) stands.
        .where(and(eq(sessions.id, r.sessionId), eq(sessions.connectorId, r.connectorId!)))
        .returning({ sessionId: sessions.id })
    );
  });
  const [first, ...rest] = updates;
  if (!first) return [];
  const results = await db.batch([first, ...rest]);
  return rows.flatMap((r, i) => (results[i]!.length > 0 ? [{ sessionId: r.sessionId, from: r.connectorId!, to: chosen.get(r.sessionId)! }] : []));
}
