// Moving sessions between connectors, whose hubs differ: the old owner's hub lets them go (its snapshots
// and streams), the new owner's hub starts them on its connector. By hand (drain, a stopped connector's
// sessions: the router, for the API) the session is first released on its old connector, or that one must
// have let its lease run out. Never unlinks: the new connector takes the login over from the shared store.
import { and, eq, isNull } from 'drizzle-orm';
import { connectors, sessions } from '../../shared/db/schema.ts';
import type { Command } from '../../shared/protocol.ts';
import type { Db } from '../db/client.ts';
import type { CommandOutcome } from './commands.ts';
import { formerAfterMove } from './event-fence.ts';
import type { SessionMove } from './failover.ts';

export type MoveOutcome =
  | { ok: true; from: string | null; to: string }
  | { ok: false; code: 'SESSION_NOT_FOUND' | 'SESSION_MOVED' | 'CONNECTOR_OFFLINE' | 'CONNECTOR_LEASE_HELD' | 'CONNECTOR_TIMEOUT'; message: string };

/** What a move needs of a connector's hub. */
export interface MovingHub {
  command(command: Command, timeoutMs: number): Promise<CommandOutcome>;
  release(sessionIds: string[]): Promise<void>;
  adopt(sessionIds: string[]): Promise<void>;
}

export interface MoveDeps {
  db: Db;
  hubOf: (connectorId: string) => MovingHub;
  now: number;
}

/** How long the old owner has to close the session's socket. */
const RELEASE_TIMEOUT_MS = 15_000;

/** Tells the hubs of both ends of each move; the sessions rows say so already. */
export async function handOver(moves: readonly SessionMove[], hubOf: (connectorId: string) => Pick<MovingHub, 'release' | 'adopt'>): Promise<void> {
  const group = (key: 'from' | 'to') => {
    const by = new Map<string, string[]>();
    for (const m of moves) by.set(m[key], [...(by.get(m[key]) ?? []), m.sessionId]);
    return by;
  };
  // The new owner first: a session is better shown twice for a moment than not at all.
  await Promise.all([...group('to')].map(([to, ids]) => hubOf(to).adopt(ids)));
  await Promise.all(
    [...group('from')].map(([from, ids]) => hubOf(from).release(ids).catch((error: unknown) => console.warn('hub: could not tell', from, 'of moved sessions', error))),
  );
}

export async function moveSession(sessionId: string, to: string, d: MoveDeps): Promise<MoveOutcome> {
  const row = await d.db.query.sessions.findFirst({ where: eq(sessions.id, sessionId) });
  if (!row) return { ok: false, code: 'SESSION_NOT_FOUND', message: `No session ${sessionId}` };
  const target = await d.db.query.connectors.findFirst({ where: eq(connectors.id, to) });
  const leased = (c: typeof target) => !!c?.attached && c.leaseExpiresAt != null && c.leaseExpiresAt > d.now;
  if (!leased(target)) return { ok: false, code: 'CONNECTOR_OFFLINE', message: `Connector ${to} is not attached; a session can only move to a live connector` };
  const from = row.connectorId;
  if (from === to) return { ok: true, from, to };
  if (from) {
    const source = await d.db.query.connectors.findFirst({ where: eq(connectors.id, from) });
    // A row still marked attached whose lease ran out is a link its hub lost: as away as a closed one.
    if (leased(source)) {
      const released = await d.hubOf(from).command({ name: 'session.release', sessionId }, RELEASE_TIMEOUT_MS);
      if (!released.ok) {
        const code = released.code === 'CONNECTOR_TIMEOUT' ? 'CONNECTOR_TIMEOUT' : 'CONNECTOR_OFFLINE';
        return { ok: false, code, message: `Connector ${from} did not release the session: ${released.message}` };
      }
    } else if (source?.leaseExpiresAt != null && source.leaseExpiresAt > d.now) {
      // Away, but maybe only cut off from its hub and still running it: not before it has fenced itself.
      return { ok: false, code: 'CONNECTOR_LEASE_HELD', message: `Connector ${from} holds its lease until ${new Date(source.leaseExpiresAt).toISOString()}` };
    }
  }
  const updated = await d.db
    .update(sessions)
    .set({ connectorId: to, ...(from ? { formerConnectors: formerAfterMove(row.formerConnectors, from, to) } : {}) })
    .where(and(eq(sessions.id, sessionId), from ? eq(sessions.connectorId, from) : isNull(sessions.connectorId)))
    .returning({ sessionId: sessions.id });
  // Another move (failover, a second admin) won the race; it stands.
  if (updated.length === 0) return { ok: false, code: 'SESSION_MOVED', message: `Session ${sessionId} moved meanwhile; read where it is and try again` };
  if (from) await handOver([{ sessionId, from, to }], d.hubOf);
  else await d.hubOf(to).adopt([sessionId]);
  return { ok: true, from, to };
}
