// The directory in Turso: which connectors exist and are attached (written by each connector's hub), and
// where a session without a connector goes. Read by the Worker to route, never on a hub's event path.
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { connectors, sessions } from '../../shared/db/schema.ts';
import type { Db } from '../db/client.ts';

/**
 * A connector was welcomed: it holds a new lease (renewed while its link stays up; failover.ts). A drained
 * connector that says hello again (restarted after its maintenance) takes new sessions again.
 */
export async function recordAttached(db: Db, connectorId: string, load: number, now: number, leaseMs: number): Promise<void> {
  const lease = { leaseExpiresAt: now + leaseMs, leaseEpoch: sql`${connectors.leaseEpoch} + 1` };
  await db
    .insert(connectors)
    .values({ id: connectorId, attached: true, attachedAt: now, lastSeenAt: now, load, leaseExpiresAt: now + leaseMs, leaseEpoch: 1 })
    .onConflictDoUpdate({ target: connectors.id, set: { attached: true, attachedAt: now, lastSeenAt: now, load, draining: false, ...lease } });
}

/** A drain began: placement and failover give the connector nothing new while its sessions move away. */
export async function markDraining(db: Db, connectorId: string): Promise<void> {
  await db.update(connectors).set({ draining: true }).where(eq(connectors.id, connectorId));
}

/** The connectors that may take sessions now: attached and not draining. */
export async function takingConnectorIds(db: Db): Promise<string[]> {
  const rows = await db
    .select({ id: connectors.id })
    .from(connectors)
    .where(and(eq(connectors.attached, true), eq(connectors.draining, false)));
  return rows.map((r) => r.id);
}

/** Its link closed: it may have renewed until now, so its lease runs out a lease from now. */
export async function recordDetached(db: Db, connectorId: string, now: number, leaseMs: number): Promise<void> {
  await db.update(connectors).set({ attached: false, lastSeenAt: now, leaseExpiresAt: now + leaseMs }).where(eq(connectors.id, connectorId));
}

/** The connectors whose hubs say they are attached now. */
export async function attachedConnectorIds(db: Db): Promise<string[]> {
  const rows = await db.select({ id: connectors.id }).from(connectors).where(eq(connectors.attached, true));
  return rows.map((r) => r.id);
}

/** Every connector that ever attached: the hubs that may hold streams or snapshots. */
export async function knownConnectorIds(db: Db): Promise<string[]> {
  const rows = await db.select({ id: connectors.id }).from(connectors);
  return rows.map((r) => r.id);
}

/**
 * Assigns an unplaced session to the attached, not draining connector holding the fewest sessions; returns
 * the session's connector afterwards (null: none attached, the next connector to say hello takes it).
 */
export async function placeSession(db: Db, sessionId: string): Promise<string | null> {
  const candidates = await db
    .select({ id: connectors.id })
    .from(connectors)
    .where(and(eq(connectors.attached, true), eq(connectors.draining, false)));
  if (candidates.length > 0) {
    const ids = candidates.map((c) => c.id);
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
