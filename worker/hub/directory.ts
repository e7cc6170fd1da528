// The directory in Turso: which connectors exist and are attached (written by each connector's hub), and
// where a session without a connector goes. Read by the Worker to route, never on a hub's event path.
import { and, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import { connectors, sessions } from '../../shared/db/schema.ts';
import type { Db } from '../db/client.ts';

/** Attached by its hub's word and holding its lease at `now`: a connector that may take sessions. */
const holdsLease = (now: number) => and(eq(connectors.attached, true), gt(connectors.leaseExpiresAt, now));

/**
 * A connector process was welcomed: it holds a new lease, under a new epoch (returned), until its hub stops
 * renewing it (failover.ts). A drain holds while the same process says hello again (a reconnect); another
 * process of the connector (restarted after its maintenance) takes new sessions again.
 */
export async function recordAttached(db: Db, connectorId: string, instance: string, load: number, now: number, leaseMs: number): Promise<number> {
  const lease = { leaseExpiresAt: now + leaseMs, leaseEpoch: sql`${connectors.leaseEpoch} + 1` };
  const draining = sql`CASE WHEN ${connectors.instance} = ${instance} THEN ${connectors.draining} ELSE 0 END`;
  const [row] = await db
    .insert(connectors)
    .values({ id: connectorId, instance, attached: true, attachedAt: now, lastSeenAt: now, load, leaseExpiresAt: now + leaseMs, leaseEpoch: 1 })
    .onConflictDoUpdate({ target: connectors.id, set: { instance, attached: true, attachedAt: now, lastSeenAt: now, load, draining, ...lease } })
    .returning({ leaseEpoch: connectors.leaseEpoch });
  return row!.leaseEpoch;
}

/**
 * Its hub heard the connector ask for a renewal at `now`: the lease runs a lease from then, if it is still
 * the one welcomed under `epoch` and has not run out (a lapsed lease belongs to the checkers; only a new
 * hello gets a new one). False: this link holds no lease any more.
 */
export async function renewLease(db: Db, connectorId: string, epoch: number, now: number, leaseMs: number): Promise<boolean> {
  const renewed = await db
    .update(connectors)
    .set({ leaseExpiresAt: now + leaseMs, lastSeenAt: now })
    .where(and(eq(connectors.id, connectorId), eq(connectors.leaseEpoch, epoch), gt(connectors.leaseExpiresAt, now)))
    .returning({ id: connectors.id });
  return renewed.length > 0;
}

/**
 * A checker takes the leases among `ids` that ran out by `now`: each is marked detached under a new epoch,
 * so its hub can no longer renew it. Returns those taken (a lease renewed meanwhile is not).
 */
export async function takeLapsedLeases(db: Db, ids: string[], now: number): Promise<string[]> {
  if (ids.length === 0) return [];
  const taken = await db
    .update(connectors)
    .set({ attached: false, leaseEpoch: sql`${connectors.leaseEpoch} + 1` })
    .where(and(inArray(connectors.id, ids), lte(connectors.leaseExpiresAt, now)))
    .returning({ id: connectors.id });
  return taken.map((t) => t.id);
}

/** A drain began: placement and failover give the connector nothing new while its sessions move away. */
export async function markDraining(db: Db, connectorId: string): Promise<void> {
  await db.update(connectors).set({ draining: true }).where(eq(connectors.id, connectorId));
}

/** The connectors that may take sessions now: attached, holding their lease and not draining. */
export async function takingConnectorIds(db: Db, now: number): Promise<string[]> {
  const rows = await db
    .select({ id: connectors.id })
    .from(connectors)
    .where(and(holdsLease(now), eq(connectors.draining, false)));
  return rows.map((r) => r.id);
}

/**
 * The link welcomed under `epoch` closed. Its lease stays as its last renewal left it: the connector fences
 * itself counting from that renewal too, so nothing is gained by waiting longer.
 */
export async function recordDetached(db: Db, connectorId: string, epoch: number, now: number): Promise<void> {
  await db
    .update(connectors)
    .set({ attached: false, lastSeenAt: now })
    .where(and(eq(connectors.id, connectorId), eq(connectors.leaseEpoch, epoch)));
}

/** The connectors whose hubs say they are attached and whose lease still runs at `now`. */
export async function attachedConnectorIds(db: Db, now: number): Promise<string[]> {
  const rows = await db.select({ id: connectors.id }).from(connectors).where(holdsLease(now));
  return rows.map((r) => r.id);
}

/** Every connector that ever attached: the hubs that may hold streams or snapshots. */
export async function knownConnectorIds(db: Db): Promise<string[]> {
  const rows = await db.select({ id: connectors.id }).from(connectors);
  return rows.map((r) => r.id);
}

/**
 * Assigns an unplaced session to the attached, leased, not draining connector holding the fewest sessions; returns
 * the session's connector afterwards (null: none attached, the next connector to say hello takes it).
 */
export async function placeSession(db: Db, sessionId: string, now: number): Promise<string | null> {
  const ids = await takingConnectorIds(db, now);
  if (ids.length > 0) {
    const loads = await db
      .select({ connectorId: sessions.connectorId, count: sql<number>`count(*)` })
      .from(sessions)
      .where(inArray(sessions.connectorId, ids))
      .groupBy(sessions.connectorId);
    const load = (id: string) => loads.find((l) => l.connectorId === id)?.count ?? 0;
    const chosen = [...ids].sort((a, b) => load(a) - load(b) || a.localeCompare(b))[0]!;
    await db.update(sessions).set({ connectorId: chosen }).where(and(eq(sessions.id, sessionId), isNull(sessions.connectorId)));
  }
  const row = await db.select({ connectorId: sessions.connectorId }).from(sessions).where(eq(sessions.id, sessionId));
  return row[0]?.connectorId ?? null;
}
