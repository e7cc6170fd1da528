// The Worker's way to the hubs: each session's calls go to the hub of the connector that holds it, found in
// the directory (sessions.connector_id in Turso) or, on the hot paths, in the key gate's cached record. A
// hint that has gone stale (the session moved) shows as a hub that no longer holds the session: the router
// reads Turso then and tries once more. Sessions no connector holds yet are answered from Turso alone.
import { eq } from 'drizzle-orm';
import { sessions } from '../../shared/db/schema.ts';
import type { Command } from '../../shared/protocol.ts';
import type { SessionStatus, StatusReason } from '../../shared/status.ts';
import type { Db } from '../db/client.ts';
import type { HubPort } from '../services/ports.ts';
import type { CommandOutcome } from './commands.ts';
import { attachedConnectorIds, knownConnectorIds, placeSession } from './directory.ts';
import { UNROUTED_HUB, connectorHub } from './hub-address.ts';
import type { Hub, SessionView } from './hub.ts';
import { moveSession, type MoveOutcome } from './session-move.ts';

export interface HubRouterDeps {
  hubs: DurableObjectNamespace<Hub>;
  db: () => Db;
  /** What the request's key gate remembers of its session's connector; trusted only until a hub disagrees. */
  hint?: () => { sessionId: string; connectorId: string | null } | undefined;
  /** The hint was stale: whoever cached it should read it again. */
  stale?: () => Promise<void>;
}

/** Where a session is: its connector (null: none yet), or undefined when no such session exists. */
type Location = { connectorId: string | null; fresh: boolean } | undefined;

export class HubRouter implements HubPort {
  private readonly deps: HubRouterDeps;

  constructor(deps: HubRouterDeps) {
    this.deps = deps;
  }

  /** The hub a session's calls and streams go to: its connector's, or the unrouted hub while it has none. */
  async hubOf(sessionId: string): Promise<DurableObjectStub<Hub>> {
    const where = await this.locate(sessionId);
    return where?.connectorId ? connectorHub(this.deps.hubs, where.connectorId) : this.unrouted();
  }

  async syncSession(sessionId: string, expect?: SessionStatus): Promise<void> {
    const db = this.deps.db();
    const row = await db.select({ connectorId: sessions.connectorId }).from(sessions).where(eq(sessions.id, sessionId));
    if (row.length === 0) return;
    const connectorId = row[0]!.connectorId ?? (await placeSession(db, sessionId, Date.now()));
    // With no connector attached the session waits on the unrouted hub (its streams, the admin's list);
    // the first connector to say hello takes it from there.
    await (connectorId ? connectorHub(this.deps.hubs, connectorId) : this.unrouted()).syncSession(sessionId, expect);
  }

  async removeSession(sessionId: string, connectorId: string | null): Promise<void> {
    // Streams of a session that never had a connector were opened on the unrouted hub.
    await (connectorId ? connectorHub(this.deps.hubs, connectorId) : this.unrouted()).removeSession(sessionId);
  }

  async view(sessionId: string): Promise<SessionView | null> {
    let where = await this.locate(sessionId);
    if (!where) return null;
    if (!where.connectorId) return this.unplacedView(sessionId);
    const view = await connectorHub(this.deps.hubs, where.connectorId).view(sessionId);
    if (view || where.fresh) return view;
    where = await this.relocate(sessionId, where.connectorId);
    if (!where?.connectorId) return where ? this.unplacedView(sessionId) : null;
    return connectorHub(this.deps.hubs, where.connectorId).view(sessionId);
  }

  async command(command: Command, timeoutMs: number): Promise<CommandOutcome> {
    const where = await this.locate(command.sessionId);
    if (!where?.connectorId) return { ok: false, code: 'CONNECTOR_OFFLINE', message: 'No connector holds this session yet' };
    const outcome = await connectorHub(this.deps.hubs, where.connectorId).command(command, timeoutMs);
    if (outcome.ok || outcome.code !== 'CONNECTOR_OFFLINE' || where.fresh) return outcome;
    const moved = await this.relocate(command.sessionId, where.connectorId);
    if (!moved?.connectorId || moved.connectorId === where.connectorId) return outcome;
    return connectorHub(this.deps.hubs, moved.connectorId).command(command, timeoutMs);
  }

  /** Released on the session's hub, then given to the target's: see session-move.ts. */
  async moveSession(sessionId: string, to: string): Promise<MoveOutcome> {
    const outcome = await moveSession(sessionId, to, { db: this.deps.db(), hubOf: (id) => connectorHub(this.deps.hubs, id), now: Date.now() });
    if (outcome.ok) await this.deps.stale?.().catch(() => undefined);
    return outcome;
  }

  async attachedConnectors(): Promise<string[]> {
    return attachedConnectorIds(this.deps.db(), Date.now());
  }

  /** Revocation is rare: every hub that may hold a stream of these keys is told. */
  async closeStreams(keyHashes: string[]): Promise<void> {
    const hubs = [this.unrouted(), ...(await knownConnectorIds(this.deps.db())).map((id) => connectorHub(this.deps.hubs, id))];
    await Promise.all(hubs.map((hub) => hub.closeStreams(keyHashes)));
  }

  /** Every hub an all-sessions admin stream must hear from. */
  async everyHub(): Promise<DurableObjectStub<Hub>[]> {
    return [this.unrouted(), ...(await knownConnectorIds(this.deps.db())).map((id) => connectorHub(this.deps.hubs, id))];
  }

  unrouted(): DurableObjectStub<Hub> {
    return this.deps.hubs.get(this.deps.hubs.idFromName(UNROUTED_HUB));
  }

  private async locate(sessionId: string): Promise<Location> {
    const hint = this.deps.hint?.();
    if (hint?.sessionId === sessionId && hint.connectorId) return { connectorId: hint.connectorId, fresh: false };
    const where = await this.read(sessionId);
    // The gate read the session before a connector took it, and would send every request here for as long
    // as it keeps that record: it reads again now, so the next requests find the connector in its hint.
    if (hint?.sessionId === sessionId && where?.connectorId) await this.deps.stale?.().catch(() => undefined);
    return where;
  }

  private async relocate(sessionId: string, was: string): Promise<Location> {
    const where = await this.read(sessionId);
    if (where?.connectorId !== was) await this.deps.stale?.().catch(() => undefined);
    return where;
  }

  private async read(sessionId: string): Promise<Location> {
    const row = await this.deps.db().select({ connectorId: sessions.connectorId }).from(sessions).where(eq(sessions.id, sessionId));
    return row.length ? { connectorId: row[0]!.connectorId, fresh: true } : undefined;
  }

  /** A session no connector holds yet: what Turso recorded, and no connector attached for it. */
  private async unplacedView(sessionId: string): Promise<SessionView | null> {
    const row = await this.deps.db().query.sessions.findFirst({ where: eq(sessions.id, sessionId) });
    if (!row) return null;
    const at = row.statusSince ?? row.updatedAt;
    return {
      status: row.status as SessionStatus,
      qrDataUrl: null,
      qrRaw: null,
      user: row.meJid ? { id: row.meJid, ...(row.meName ? { name: row.meName } : {}) } : null,
      reason: row.statusReason ? (JSON.parse(row.statusReason) as StatusReason) : null,
      since: at,
      lastSeenAt: null,
      updatedAt: row.updatedAt,
      connectorAttached: false,
    };
  }
}
