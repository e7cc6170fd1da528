// The connector sockets of a hub: a challenge on open, a hello that proves the connector secret, a welcome
// with the connector's sessions, a newer link replacing an older one of the same connector, and the lease
// renewals the link asks for (written to the directory before they are answered). Each socket's stage lives
// in its attachment, so it survives the hub's hibernation.
import { verifyConnectorProof } from '../../shared/connector-proof.ts';
import { z } from 'zod';
import { CloseCode, PROTOCOL_VERSION, parseFrame, type ConnectorFrame, type HubFrame } from '../../shared/protocol.ts';
import type { Db } from '../db/client.ts';
import type { Commands } from './commands.ts';
import { DIALLED_CONNECTOR_HEADER } from './hub-address.ts';
import { attachedConnectorIds, recordAttached, recordDetached, renewLease } from './directory.ts';
import { assign, deletedAmong, type Moved } from './placement.ts';
import type { Snapshots } from './snapshots.ts';

/** Just the version of a hello, whatever else it carries. */
const HelloVersion = z.object({ type: z.literal('hello'), protocol: z.number().int() });

/** How long a connector has to answer the challenge. */
const HELLO_TIMEOUT_MS = 10_000;
const HEARTBEAT_MS = 15_000;

export type ConnectorAttachment =
  | { stage: 'challenge'; nonce: string; openedAt: number; origin?: string; dialled?: string }
  /** `leaseEpoch`: the lease its welcome began (0 until written); `heardAt`: its last renewal written. */
  | { stage: 'ready'; connectorId: string; leaseEpoch: number; heardAt: number }
  | { stage: 'replaced' };

export interface ConnectorLinkDeps {
  db: () => Db;
  secret: () => string;
  snapshots: Snapshots;
  commands: Commands;
  /** Where an authenticated connector reached the Worker: the origin of media links when PUBLIC_URL is unset. */
  rememberOrigin: (origin: string) => void;
  /** Tells the hub of a connector (null: the unrouted hub) that these sessions are now this connector's. */
  release: (from: string | null, sessionIds: string[]) => Promise<void>;
  /** The connector's lease, announced in the welcome and kept in the directory (failover.ts). */
  leaseMs: () => number;
  /** A connector was welcomed at `at`: its hub watches the leases from then. */
  welcomed: (connectorId: string, at: number) => Promise<void>;
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export class ConnectorLink {
  private readonly ctx: DurableObjectState;
  private readonly deps: ConnectorLinkDeps;

  constructor(ctx: DurableObjectState, deps: ConnectorLinkDeps) {
    this.ctx = ctx;
    this.deps = deps;
  }

  /** The attached, authenticated connector sockets by connector id. */
  connectors(): Map<string, WebSocket> {
    const found = new Map<string, WebSocket>();
    for (const ws of this.ctx.getWebSockets('connector')) {
      const a = ws.deserializeAttachment() as ConnectorAttachment | null;
      if (a?.stage === 'ready') found.set(a.connectorId, ws);
    }
    return found;
  }

  /** Accepts a connector socket and challenges it; returns when its hello is due. */
  open(request: Request): { client: WebSocket; helloDue: number } {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, ['connector']);
    const dialled = request.headers.get(DIALLED_CONNECTOR_HEADER) ?? undefined;
    const attachment: ConnectorAttachment = { stage: 'challenge', nonce: randomNonce(), openedAt: Date.now(), origin: new URL(request.url).origin, dialled };
    server.serializeAttachment(attachment);
    server.send(JSON.stringify({ type: 'challenge', protocol: PROTOCOL_VERSION, nonce: attachment.nonce } satisfies HubFrame));
    return { client, helloDue: attachment.openedAt + HELLO_TIMEOUT_MS };
  }

  /** Closes connectors that did not say hello in time; the next hello deadline, if any. */
  sweep(now: number): number | null {
    let next: number | null = null;
    for (const ws of this.ctx.getWebSockets('connector')) {
      const a = ws.deserializeAttachment() as ConnectorAttachment | null;
      if (a?.stage !== 'challenge') continue;
      const due = a.openedAt + HELLO_TIMEOUT_MS;
      if (due <= now) ws.close(CloseCode.unauthorised, 'no hello in time');
      else next = Math.min(next ?? due, due);
    }
    return next;
  }

  /**
   * The first frame of a challenged socket: a valid hello is welcomed, anything else closes it. `raw` is
   * read for its version alone when the hello does not parse: an older connector's hello lacks this
   * version's fields, and is told its version is the problem (4002), not its proof.
   */
  async hello(ws: WebSocket, attachment: Extract<ConnectorAttachment, { stage: 'challenge' }>, frame: ConnectorFrame | null, raw: unknown): Promise<void> {
    const protocol = frame?.type === 'hello' ? frame.protocol : parseFrame(HelloVersion, raw)?.protocol;
    if (protocol !== undefined && protocol !== PROTOCOL_VERSION) {
      console.warn(`hub: refused a connector of protocol ${protocol} (this hub speaks ${PROTOCOL_VERSION}): upgrade it with the Worker`);
      ws.close(CloseCode.unsupportedVersion, `this hub speaks protocol ${PROTOCOL_VERSION}`);
      return;
    }
    if (frame?.type !== 'hello') {
      ws.close(CloseCode.unauthorised, 'expected hello');
      return;
    }
    // Each connector has its own hub: a hello for another id would let this hub answer for that connector.
    if (frame.connectorId !== attachment.dialled) {
      ws.close(CloseCode.unauthorised, 'dial /hub/connect?connector=<the id of the hello>');
      return;
    }
    const valid =
      frame.nonce === attachment.nonce &&
      (await verifyConnectorProof(this.deps.secret(), frame.connectorId, frame.nonce, frame.timestamp, frame.proof, Date.now()));
    if (!valid) {
      ws.close(CloseCode.unauthorised, 'bad proof');
      return;
    }
    if (attachment.origin) this.deps.rememberOrigin(attachment.origin);
    const previous = this.connectors().get(frame.connectorId);
    const ready = { stage: 'ready', connectorId: frame.connectorId, leaseEpoch: 0, heardAt: Date.now() } satisfies ConnectorAttachment;
    ws.serializeAttachment(ready);
    if (previous && previous !== ws) {
      previous.serializeAttachment({ stage: 'replaced' } satisfies ConnectorAttachment);
      this.deps.commands.abandon(previous);
      previous.close(CloseCode.replaced, 'replaced by a newer connection');
    }
    const db = this.deps.db();
    const others = (await attachedConnectorIds(db, Date.now())).filter((id) => id !== frame.connectorId);
    const [{ desired, moved }, removed] = await Promise.all([assign(db, frame.connectorId, frame.held, others), deletedAmong(db, frame.held)]);
    const leasedAt = Date.now();
    const leaseEpoch = await recordAttached(db, frame.connectorId, frame.instance, desired.length, leasedAt, this.deps.leaseMs());
    ws.serializeAttachment({ ...ready, leaseEpoch, heardAt: leasedAt } satisfies ConnectorAttachment);
    await this.releaseMoved(moved);
    // What the hub showed for these sessions predates this connection; the connector's word replaces it.
    const live = new Map(frame.live.map((l) => [l.sessionId, l.status]));
    const now = Date.now();
    for (const session of desired) {
      this.deps.snapshots.route(session.sessionId, frame.connectorId, now);
      const status = live.get(session.sessionId) ?? (session.state === 'running' ? 'STARTING' : undefined);
      if (status) this.deps.snapshots.reattach(session.sessionId, status, now);
    }
    ws.send(
      JSON.stringify({ type: 'welcome', connectorId: frame.connectorId, heartbeatMs: HEARTBEAT_MS, sessions: desired, removed, leaseMs: this.deps.leaseMs() } satisfies HubFrame),
    );
    await this.deps.welcomed(frame.connectorId, now);
  }

  /**
   * The connector asks for its lease to be renewed: written to the directory first, then answered, so the
   * connector's lease (counted from when it asked) never outruns the directory's. False: the lease is no
   * longer this link's (taken by a checker, lapsed, or a newer hello's), and the link must be dropped.
   */
  async renew(ws: WebSocket, attachment: Extract<ConnectorAttachment, { stage: 'ready' }>, id: number): Promise<boolean> {
    const now = Date.now();
    if (!(await renewLease(this.deps.db(), attachment.connectorId, attachment.leaseEpoch, now, this.deps.leaseMs()))) return false;
    // Re-read: a newer link may have replaced this one while the write was under way.
    const current = ws.deserializeAttachment() as ConnectorAttachment | null;
    if (current?.stage !== 'ready') return true;
    ws.serializeAttachment({ ...current, heardAt: Math.max(current.heardAt, now) } satisfies ConnectorAttachment);
    ws.send(JSON.stringify({ type: 'renewed', id } satisfies HubFrame));
    return true;
  }

  /**
   * The links that asked for no renewal for a whole lease (their lease ran out with them; a frozen machine
   * or a cut cable sends no close), and when the next of the others would be.
   */
  silent(now: number): { silent: WebSocket[]; next: number | null } {
    const leaseMs = this.deps.leaseMs();
    const silent: WebSocket[] = [];
    let next: number | null = null;
    for (const ws of this.ctx.getWebSockets('connector')) {
      const a = ws.deserializeAttachment() as ConnectorAttachment | null;
      if (a?.stage !== 'ready') continue;
      const due = a.heardAt + leaseMs;
      if (due <= now) silent.push(ws);
      else next = Math.min(next ?? due, due);
    }
    return { silent, next };
  }

  /** The link of this hub's connector closed (not one replaced by a newer link): the directory says so. */
  async detached(ws: WebSocket): Promise<void> {
    const a = ws.deserializeAttachment() as ConnectorAttachment | null;
    if (a?.stage !== 'ready') return;
    ws.serializeAttachment({ stage: 'replaced' } satisfies ConnectorAttachment);
    if (this.connectors().has(a.connectorId)) return;
    await recordDetached(this.deps.db(), a.connectorId, a.leaseEpoch, Date.now());
  }

  private async releaseMoved(moved: Moved[]): Promise<void> {
    const byHub = new Map<string | null, string[]>();
    for (const { sessionId, from } of moved) byHub.set(from, [...(byHub.get(from) ?? []), sessionId]);
    await Promise.all(
      [...byHub].map(([from, sessionIds]) =>
        this.deps.release(from, sessionIds).catch((error: unknown) => console.warn('hub: could not tell', from, 'of moved sessions', error)),
      ),
    );
  }
}
