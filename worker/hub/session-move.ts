// Moving one session to another connector by hand (drain, or a stopped connector's sessions): stop on the
// old owner first, then give it to the new one. Never unlinks: the old connector keeps nothing running and
// the new one takes the login over from the shared store.
import { and, eq, isNull } from 'drizzle-orm';
import { sessions } from '../../shared/db/schema.ts';
import type { Command } from '../../shared/protocol.ts';
import type { Db } from '../db/client.ts';
import type { CommandOutcome } from './hub.ts';

export type MoveOutcome =
  | { ok: true; from: string | null; to: string }
  | { ok: false; code: 'SESSION_NOT_FOUND' | 'CONNECTOR_OFFLINE' | 'CONNECTOR_LEASE_HELD' | 'CONNECTOR_TIMEOUT'; message: string };

export interface MoveDeps {
  db: Db;
  attached: Map<string, WebSocket>;
  /** When the hub last heard from a connector (its lease runs from then). */
  lastHeard: (connectorId: string) => number | undefined;
  leaseMs: number;
  command: (command: Command, timeoutMs: number) => Promise<CommandOutcome>;
  /** Records the new tenure and sends the new owner its desired state. */
  moved: (sessionId: string, from: string | null, to: string) => Promise<void>;
  now: number;
}

/** How long the old owner has to close the session's socket. */
const RELEASE_TIMEOUT_MS = 15_000;

export async function moveSession(sessionId: string, to: string, d: MoveDeps): Promise<MoveOutcome> {
  const row = await d.db.query.sessions.findFirst({ where: eq(sessions.id, sessionId) });
  if (!row) return { ok: false, code: 'SESSION_NOT_FOUND', message: `No session ${sessionId}` };
  if (!d.attached.has(to)) return { ok: false, code: 'CONNECTOR_OFFLINE', message: `Connector ${to} is not attached; a session can only move to a live connector` };
  const from = row.connectorId;
  if (from === to) return { ok: true, from, to };
  if (from && d.attached.has(from)) {
    const released = await d.command({ name: 'session.release', sessionId }, RELEASE_TIMEOUT_MS);
    if (!released.ok) {
      const code = released.code === 'CONNECTOR_TIMEOUT' ? 'CONNECTOR_TIMEOUT' : 'CONNECTOR_OFFLINE';
      return { ok: false, code, message: `Connector ${from} did not release the session: ${released.message}` };
    }
  } else if (from) {
    // Away, but maybe only cut off from the hub and still running it: not before it has fenced itself.
    const last = d.lastHeard(from);
    if (last !== undefined && last + d.leaseMs > d.now) {
      return {
        ok: false,
        code: 'CONNECTOR_LEASE_HELD',
        message: `Connector ${from} was heard from ${d.now - last} ms ago; its lease runs until ${new Date(last + d.leaseMs).toISOString()}`,
      };
    }
  }
  await d.db
    .update(sessions)
    .set({ connectorId: to })
    .where(and(eq(sessions.id, sessionId), from ? eq(sessions.connectorId, from) : isNull(sessions.connectorId)));
  await d.moved(sessionId, from, to);
  return { ok: true, from, to };
}
