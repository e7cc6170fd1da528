// The connector sockets of a hub: a challenge on open, a hello that proves the connector secret, a welcome
// with the connector's sessions, and a newer link replacing an older one of the same connector. Each
// socket's stage lives in its attachment, so it survives the hub's hibernation.
import { verifyConnectorProof } from '../../shared/connector-proof.ts';
import { CloseCode, PROTOCOL_VERSION, type ConnectorFrame, type HubFrame } from '../../shared/protocol.ts';
import type { Db } from '../db/client.ts';
import type { Commands } from './commands.ts';
import { DIALLED_CONNECTOR_HEADER } from './hub-address.ts';
import { attachedConnectorIds, recordAttached, recordDetached } from './directory.ts';
import { assign, deletedAmong, type Moved } from './placement.ts';
import type { Snapshots } from './snapshots.ts';

/** How long a connector has to answer the challenge. */
const HELLO_TIMEOUT_MS = 10_000;
const HEARTBEAT_MS = 15_000;

export type ConnectorAttachment =
  | { stage: 'challenge'; nonce: string; openedAt: number; origin?: string; dialled?: string }
  | { stage: 'ready'; connectorId: string }
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

  /** The first frame of a challenged socket: a valid hello is welcomed, anything else closes it. */
  async hello(ws: WebSocket, attachment: Extract<ConnectorAttachment, { stage: 'challenge' }>, frame: ConnectorFrame | null): Promise<void> {
    if (frame?.type !== 'hello') {
      ws.close(CloseCode.unauthorised, 'expected hello');
      return;
    }
    if (frame.protocol !== PROTOCOL_VERSION) {
      ws.close(CloseCode.unsupportedVersion, `this hub speaks protocol ${PROTOCOL_VERSION}`);
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
    ws.serializeAttachment({ stage: 'ready', connectorId: frame.connectorId } satisfies ConnectorAttachment);
    if (previous && previous !== ws) {
      previous.serializeAttachment({ stage: 'replaced' } satisfies ConnectorAttachment);
      this.deps.commands.abandon(previous);
      previous.close(CloseCode.replaced, 'replaced by a newer connection');
    }
    const db = this.deps.db();
    const others = (await attachedConnectorIds(db)).filter((id) => id !== frame.connectorId);
    const [{ desired, moved }, removed] = await Promise.all([assign(db, frame.connectorId, frame.held, others), deletedAmong(db, frame.held)]);
    await recordAttached(db, frame.connectorId, desired.length, Date.now(), this.deps.leaseMs());
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

  /** The link of this hub's connector closed (not one replaced by a newer link): the directory says so. */
  async detached(ws: WebSocket): Promise<void> {
    const a = ws.deserializeAttachment() as ConnectorAttachment | null;
    if (a?.stage !== 'ready') return;
    ws.serializeAttachment({ stage: 'replaced' } satisfies ConnectorAttachment);
    if (this.connectors().has(a.connectorId)) return;
    await recordDetached(this.deps.db(), a.connectorId, Date.now(), this.deps.leaseMs());
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
