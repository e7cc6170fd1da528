// Moving sessions between connectors by hand: one session (a stopped connector's), or all of a connector's
// (drain, before taking it down). One at a time, with no loss: released on the old connector, started on
// the new one, and WORKING there before the next moves. Nothing is ever unlinked.
import { and, eq, isNotNull, ne, sql } from 'drizzle-orm';
import { sessions } from '../../shared/db/schema.ts';
import { ApiError } from '../errors.ts';
import { markDraining, takingConnectorIds } from '../hub/directory.ts';
import { spreadByLoad } from '../hub/failover.ts';
import type { Services } from './ports.ts';

export type Moved = { sessionId: string; from: string | null; to: string; status: string };

/** How long a moved session that was WORKING may take to be WORKING again before the drain stops. */
const WORKING_AGAIN_MS = 60_000;

export async function moveSession(s: Services, sessionId: string, to: string): Promise<{ from: string | null; to: string }> {
  const outcome = await s.hub.moveSession(sessionId, to);
  if (outcome.ok) return { from: outcome.from, to: outcome.to };
  throw new ApiError(outcome.code, outcome.message);
}

export type DrainIo = { sleep: (ms: number) => Promise<void>; now: () => number };

/**
 * Moves every session of `connectorId` to the other attached connectors, least loaded first. A session that
 * was WORKING must be WORKING on its new connector before the next one moves; one that does not get there
 * stops the drain (the rest stay where they are) with CONNECTOR_TIMEOUT.
 */
export async function drainConnector(s: Services, connectorId: string, io: DrainIo): Promise<Moved[]> {
  // Marked first, so no session placed meanwhile lands on it (it would be the least loaded as it empties).
  await markDraining(s.db, connectorId);
  const attached = (await takingConnectorIds(s.db, io.now())).filter((id) => id !== connectorId);
  const owned = await s.db
    .select({ id: sessions.id, status: sessions.status })
    .from(sessions)
    .where(eq(sessions.connectorId, connectorId))
    .orderBy(sessions.id);
  if (owned.length === 0) return [];
  if (attached.length === 0) throw new ApiError('NO_OTHER_CONNECTOR', `No other connector is attached to take the sessions of ${connectorId}`);
  const loads = await s.db
    .select({ connectorId: sessions.connectorId, count: sql<number>`count(*)` })
    .from(sessions)
    .where(and(isNotNull(sessions.connectorId), ne(sessions.connectorId, connectorId)))
    .groupBy(sessions.connectorId);
  const targets = spreadByLoad(
    owned.map((o) => o.id),
    new Map(attached.map((id) => [id, Number(loads.find((l) => l.connectorId === id)?.count ?? 0)])),
  );
  const moved: Moved[] = [];
  for (const { id, status } of owned) {
    const to = targets.get(id)!;
    const { from } = await moveSession(s, id, to);
    const now = status === 'WORKING' ? await workingAgain(s, id, io) : ((await s.hub.view(id))?.status ?? status);
    moved.push({ sessionId: id, from, to, status: now });
  }
  return moved;
}

async function workingAgain(s: Services, sessionId: string, io: DrainIo): Promise<string> {
  const deadline = io.now() + WORKING_AGAIN_MS;
  for (;;) {
    const view = await s.hub.view(sessionId);
    if (view?.status === 'WORKING' && view.connectorAttached) return 'WORKING';
    if (io.now() >= deadline) throw new ApiError('CONNECTOR_TIMEOUT', `Session ${sessionId} was not WORKING on its new connector within ${WORKING_AGAIN_MS} ms; the drain stopped there`);
    await io.sleep(250);
  }
}
