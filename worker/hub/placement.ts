// Which connector holds which session, decided against Turso: what a connector is given when it says hello,
// where a new session goes, and which held logins were deleted (the only ones a welcome may unlink).
import { and, eq, inArray, isNotNull, isNull, ne, notInArray, sql } from 'drizzle-orm';
import { deletedSessions, sessions } from '../../shared/db/schema.ts';
import type { DesiredSession } from '../../shared/protocol.ts';
import type { Db } from '../db/client.ts';
import { desiredOf } from './desired.ts';

/** SQLite's bound-variable limit is far higher; this keeps each statement small. */
const IN_CHUNK = 500;

/** The sessions columns a desired state is made of (desired.ts), for both ways a hub reads them. */
const DESIRED_COLUMNS = {
  sessionId: sessions.id,
  state: sessions.desiredState,
  authEpoch: sessions.authEpoch,
  startEpoch: sessions.startEpoch,
  expectedPhone: sessions.expectedPhone,
  pacing: sessions.pacing,
};

/** A session this hello took from another connector's hub (`from`), or from none (null: the unrouted hub). */
export type Moved = { sessionId: string; from: string | null };

export type SessionRow = NonNullable<Awaited<ReturnType<Db['query']['sessions']['findFirst']>>>;

/**
 * Gives a connector its sessions: those assigned to it, those nobody holds yet, and those whose login it
 * holds while their assigned connector is away (so a session follows its stored login). `attached`: the
 * other connectors attached right now.
 */
export async function assign(
  db: Db,
  connectorId: string,
  held: string[],
  attached: string[],
): Promise<{ desired: DesiredSession[]; moved: Moved[] }> {
  const unplaced = await db.update(sessions).set({ connectorId }).where(isNull(sessions.connectorId)).returning({ sessionId: sessions.id });
  const moved: Moved[] = unplaced.map((r) => ({ sessionId: r.sessionId, from: null }));
  for (let i = 0; i < held.length; i += IN_CHUNK) {
    const chunk = held.slice(i, i + IN_CHUNK);
    const away = attached.length ? notInArray(sessions.connectorId, attached) : isNotNull(sessions.connectorId);
    const leaving = and(inArray(sessions.id, chunk), away, ne(sessions.connectorId, connectorId));
    const rows = await db.select({ sessionId: sessions.id, from: sessions.connectorId }).from(sessions).where(leaving);
    if (rows.length === 0) continue;
    await db.update(sessions).set({ connectorId }).where(leaving);
    moved.push(...rows.map((r) => ({ sessionId: r.sessionId, from: r.from! })));
  }
  const rows = await db
    .select(DESIRED_COLUMNS)
    .from(sessions)
    .where(eq(sessions.connectorId, connectorId));
  return { desired: rows.map(desiredOf), moved };
}

/** The sessions' desired state and connector as Turso has them (a hub adopting sessions moved to it). */
export async function desiredRows(db: Db, sessionIds: string[]) {
  const rows = [];
  for (let i = 0; i < sessionIds.length; i += IN_CHUNK) {
    rows.push(
      ...(await db
        .select({ ...DESIRED_COLUMNS, connectorId: sessions.connectorId })
        .from(sessions)
        .where(inArray(sessions.id, sessionIds.slice(i, i + IN_CHUNK)))),
    );
  }
  return rows;
}

/**
 * The held sessions that were deleted, by their tombstones: the only ones a welcome tells a connector to
 * unlink. A held session that is merely unknown here (a wrong or empty database) is not among them.
 */
export async function deletedAmong(db: Db, held: string[]): Promise<string[]> {
  const found: string[] = [];
  for (let i = 0; i < held.length; i += IN_CHUNK) {
    const chunk = held.slice(i, i + IN_CHUNK);
    const rows = await db.select({ sessionId: deletedSessions.sessionId }).from(deletedSessions).where(inArray(deletedSessions.sessionId, chunk));
    found.push(...rows.map((r) => r.sessionId));
  }
  return found;
}

/**
 * The session's row, assigned to the least-loaded of the attached connectors if none holds it yet; with
 * none attached it stays unassigned and the next connector to say hello picks it up. Null: no such session.
 */
export async function place(db: Db, sessionId: string, attached: string[]): Promise<SessionRow | null> {
  const row = await db.query.sessions.findFirst({ where: eq(sessions.id, sessionId) });
  if (!row || row.connectorId || attached.length === 0) return row ?? null;
  const loads = await db
    .select({ connectorId: sessions.connectorId, count: sql<number>`count(*)` })
    .from(sessions)
    .where(inArray(sessions.connectorId, attached))
    .groupBy(sessions.connectorId);
  const load = (id: string) => loads.find((l) => l.connectorId === id)?.count ?? 0;
  const chosen = [...attached].sort((a, b) => load(a) - load(b))[0]!;
  await db.update(sessions).set({ connectorId: chosen }).where(and(eq(sessions.id, sessionId), isNull(sessions.connectorId)));
  return (await db.query.sessions.findFirst({ where: eq(sessions.id, sessionId) })) ?? null;
}
