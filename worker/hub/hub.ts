// The hub: one Durable Object that holds every connector's WebSocket and every live stream. It authenticates
// connectors, tells them the desired state of their sessions, relays commands with deadlines, and makes
// their events durable in Turso before acking them (inbound-events.ts). See shared/protocol.md.
import { DurableObject } from 'cloudflare:workers';
import { and, eq, inArray, isNotNull, isNull, notInArray, sql } from 'drizzle-orm';
import { verifyConnectorProof } from '../../shared/connector-proof.ts';
import { deletedSessions, sessions } from '../../shared/db/schema.ts';
import {
  CloseCode,
  ConnectorFrame,
  PING_FRAME,
  PONG_FRAME,
  PROTOCOL_VERSION,
  parseFrame,
  type Command,
  type CommandData,
  type CommandErrorCode,
  type DesiredSession,
  type HubFrame,
} from '../../shared/protocol.ts';
import type { SessionStatus } from '../../shared/status.ts';
import { createDb, type Db } from '../db/client.ts';
import { readConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { InboundEvents } from './inbound-events.ts';
import { desiredOf } from './desired.ts';
import { Failover } from './failover.ts';
import { moveSession, type MoveOutcome } from './session-move.ts';
import { Tenures } from './tenures.ts';
import { Snapshots, type Snapshot } from './snapshots.ts';
import { STREAM_TICKET_HEADER, Watchers, type StreamRefusal, type WatcherAttachment } from './watchers.ts';

/** How long a connector has to answer the challenge. */
const HELLO_TIMEOUT_MS = 10_000;
const HEARTBEAT_MS = 15_000;
/** SQLite's bound-variable limit is far higher; this keeps each statement small. */
const IN_CHUNK = 500;

const WORKER_ORIGIN_KEY = 'worker-origin';

type Attachment =
  | { stage: 'challenge'; nonce: string; openedAt: number; origin?: string }
  | { stage: 'ready'; connectorId: string }
  | { stage: 'replaced' }
  | WatcherAttachment;

export type CommandOutcome =
  | { ok: true; data: CommandData }
  | { ok: false; code: CommandErrorCode | 'CONNECTOR_OFFLINE' | 'CONNECTOR_TIMEOUT'; message: string };

export interface SessionView extends Snapshot {
  /** Whether the connector holding the session is attached right now. */
  connectorAttached: boolean;
}

interface Pending {
  socket: WebSocket;
  resolve: (outcome: CommandOutcome) => void;
  timer: ReturnType<typeof setTimeout>;
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export class Hub extends DurableObject<Env> {
  private readonly snapshots: Snapshots;
  private readonly watchers: Watchers;
  private readonly pending = new Map<string, Pending>();
  private readonly inbound: InboundEvents;
  private readonly failover: Failover;
  private readonly tenures: Tenures;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.snapshots = new Snapshots(ctx.storage.sql);
    this.tenures = new Tenures(ctx.storage.kv);
    this.watchers = new Watchers(ctx, this.snapshots);
    this.inbound = new InboundEvents({
      db: () => this.db(),
      webhookUrl: () => readConfig(this.env).WEBHOOK_URL,
      mediaUrls: () => {
        const config = readConfig(this.env);
        return { config, origin: config.PUBLIC_URL ?? this.ctx.storage.kv.get<string>(WORKER_ORIGIN_KEY) };
      },
      webhooks: env.WEBHOOKS,
      snapshots: this.snapshots,
      watchers: this.watchers,
      formerOwners: (sessionId) => this.tenures.of(sessionId).former,
    });
    this.failover = new Failover({
      db: () => this.db(),
      kv: ctx.storage.kv,
      attached: () => this.connectors(),
      leaseMs: () => this.leaseMs(),
      answeredAt: (ws) => ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime(),
      moved: (connectorId, desired, from) => {
        const now = Date.now();
        for (const d of desired) {
          this.tenures.moved(d.sessionId, from.get(d.sessionId)!, connectorId);
          this.snapshots.route(d.sessionId, connectorId, now);
        }
        this.connectors().get(connectorId)?.send(JSON.stringify({ type: 'desired', sessions: desired } satisfies HubFrame));
      },
    });
    // Heartbeats are answered by the runtime itself, so an idle hub can hibernate.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  }

  private db(): Db {
    return createDb(readConfig(this.env));
  }

  private leaseMs(): number {
    return readConfig(this.env).CONNECTOR_LEASE_SECONDS * 1000;
  }

  /** The attached, authenticated connector sockets by connector id. */
  private connectors(): Map<string, WebSocket> {
    const found = new Map<string, WebSocket>();
    for (const ws of this.ctx.getWebSockets('connector')) {
      const a = ws.deserializeAttachment() as Attachment | null;
      if (a?.stage === 'ready') found.set(a.connectorId, ws);
    }
    return found;
  }

  // --- connector sockets -------------------------------------------------------------------------------

  /**
   * The socket entry. A socket is a connector that must prove the connector secret before it is told or
   * sent anything, unless it carries a stream ticket this hub issued (see `issueStreamTicket`).
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('expected a WebSocket upgrade', { status: 426 });
    }
    const ticket = request.headers.get(STREAM_TICKET_HEADER);
    if (ticket !== null) return this.openStream(ticket);
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, ['connector']);
    const attachment: Attachment = { stage: 'challenge', nonce: randomNonce(), openedAt: Date.now(), origin: new URL(request.url).origin };
    server.serializeAttachment(attachment);
    server.send(JSON.stringify({ type: 'challenge', protocol: PROTOCOL_VERSION, nonce: attachment.nonce } satisfies HubFrame));
    await this.wakeBy(attachment.openedAt + HELLO_TIMEOUT_MS);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** One alarm serves every deadline: it is moved earlier, never later, by whoever needs it sooner. */
  private async wakeBy(at: number): Promise<void> {
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > at) await this.ctx.storage.setAlarm(at);
  }

  /** Closes connectors that did not say hello in time and streams that went silent. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let next = this.watchers.sweep(readConfig(this.env).STREAM_IDLE_MS, now);
    for (const ws of this.ctx.getWebSockets('connector')) {
      const a = ws.deserializeAttachment() as Attachment | null;
      if (a?.stage !== 'challenge') continue;
      const due = a.openedAt + HELLO_TIMEOUT_MS;
      if (due <= now) ws.close(CloseCode.unauthorised, 'no hello in time');
      else next = Math.min(next ?? due, due);
    }
    const leaseDue = await this.failover.check(now).catch((error: unknown) => {
      console.error('hub: lease check failed; trying again soon', error);
      return now + this.leaseMs() / 4;
    });
    if (leaseDue !== null) next = Math.min(next ?? leaseDue, leaseDue);
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      await this.onMessage(ws, message);
    } catch (error) {
      // One bad frame or failed write must not take the connector's link down with it.
      console.error('hub: failed to handle a frame', error);
    }
  }

  private async onMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment = ws.deserializeAttachment() as Attachment | null;
    if (!attachment || attachment.stage === 'replaced') return;
    if (attachment.stage === 'watching') {
      this.watchers.heard(ws, attachment, message, Date.now());
      return;
    }
    const frame = parseFrame(ConnectorFrame, message);
    if (attachment.stage === 'challenge') {
      await this.onHello(ws, attachment, frame);
      return;
    }
    if (!frame) {
      console.warn('hub: dropped a malformed frame from', attachment.connectorId);
      return;
    }
    switch (frame.type) {
      case 'result': {
        const pending = this.pending.get(frame.id);
        if (!pending || pending.socket !== ws) return; // late: the caller already had its 504
        this.pending.delete(frame.id);
        clearTimeout(pending.timer);
        pending.resolve(frame.ok ? { ok: true, data: frame.data } : { ok: false, ...frame.error });
        return;
      }
      case 'event':
        await this.inbound.receive(ws, attachment.connectorId, frame);
        return;
      case 'ping': // answered by the auto-response; a ping that reaches here was not byte-identical
        ws.send(PONG_FRAME);
        return;
      case 'seen':
        this.snapshots.seen(attachment.connectorId, frame.sessions);
        return;
      case 'hello':
        return;
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    await this.leaseLapsesFrom(ws);
    this.detach(ws);
    // Complete the closing handshake, or the connector waits for our close frame until its own timeout.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closing');
    } catch {
      // already closed
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.leaseLapsesFrom(ws);
    this.detach(ws);
  }

  /**
   * A connector's link closed: its lease runs out a lease after now (it may have renewed until the close),
   * and is checked then.
   */
  private async leaseLapsesFrom(ws: WebSocket): Promise<void> {
    const a = ws.deserializeAttachment() as Attachment | null;
    if (a?.stage !== 'ready') return;
    const now = Date.now();
    this.failover.heard(a.connectorId, now);
    await this.wakeBy(now + this.leaseMs());
  }

  /** Commands sent over a socket that is gone will never be answered: fail them now, not at their deadline. */
  private detach(ws: WebSocket): void {
    for (const [id, pending] of this.pending) {
      if (pending.socket !== ws) continue;
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.resolve({ ok: false, code: 'CONNECTOR_OFFLINE', message: 'The connector disconnected before answering' });
    }
  }

  private async onHello(ws: WebSocket, attachment: Extract<Attachment, { stage: 'challenge' }>, frame: ConnectorFrame | null) {
    if (frame?.type !== 'hello') {
      ws.close(CloseCode.unauthorised, 'expected hello');
      return;
    }
    if (frame.protocol !== PROTOCOL_VERSION) {
      ws.close(CloseCode.unsupportedVersion, `this hub speaks protocol ${PROTOCOL_VERSION}`);
      return;
    }
    const config = readConfig(this.env);
    const valid =
      frame.nonce === attachment.nonce &&
      (await verifyConnectorProof(config.CONNECTOR_SECRET, frame.connectorId, frame.nonce, frame.timestamp, frame.proof, Date.now()));
    if (!valid) {
      ws.close(CloseCode.unauthorised, 'bad proof');
      return;
    }
    // Where an authenticated connector reached the Worker: the origin of media links when PUBLIC_URL is unset.
    if (attachment.origin) this.ctx.storage.kv.put(WORKER_ORIGIN_KEY, attachment.origin);
    const previous = this.connectors().get(frame.connectorId);
    ws.serializeAttachment({ stage: 'ready', connectorId: frame.connectorId } satisfies Attachment);
    if (previous && previous !== ws) {
      previous.serializeAttachment({ stage: 'replaced' } satisfies Attachment);
      this.detach(previous);
      previous.close(CloseCode.replaced, 'replaced by a newer connection');
    }
    const [desired, removed] = await Promise.all([this.assign(frame.connectorId, frame.held), this.deletedAmong(frame.held)]);
    // What the hub showed for these sessions predates this connection; the connector's word replaces it.
    const live = new Map(frame.live.map((l) => [l.sessionId, l.status]));
    const now = Date.now();
    for (const session of desired) {
      const status = live.get(session.sessionId) ?? (session.state === 'running' ? 'STARTING' : undefined);
      if (status) this.snapshots.reattach(session.sessionId, status, now);
    }
    this.failover.heard(frame.connectorId, now);
    const leaseMs = this.leaseMs();
    ws.send(JSON.stringify({ type: 'welcome', connectorId: frame.connectorId, heartbeatMs: HEARTBEAT_MS, sessions: desired, removed, leaseMs } satisfies HubFrame));
    // Watches this lease (and any other connector's) from now on.
    await this.wakeBy(now + leaseMs);
  }

  /**
   * The held sessions that were deleted, by their tombstones: the only ones a welcome tells a connector to
   * unlink. A held session that is merely unknown here (a wrong or empty database) is not among them.
   */
  private async deletedAmong(held: string[]): Promise<string[]> {
    const db = this.db();
    const found: string[] = [];
    for (let i = 0; i < held.length; i += IN_CHUNK) {
      const chunk = held.slice(i, i + IN_CHUNK);
      const rows = await db.select({ sessionId: deletedSessions.sessionId }).from(deletedSessions).where(inArray(deletedSessions.sessionId, chunk));
      found.push(...rows.map((r) => r.sessionId));
    }
    return found;
  }

  /**
   * Gives a connector its sessions: those assigned to it, those nobody holds yet, and those whose login it
   * holds while their assigned connector is away (so a session follows its stored login).
   */
  private async assign(connectorId: string, held: string[]): Promise<DesiredSession[]> {
    const db = this.db();
    const attached = [...this.connectors().keys()].filter((id) => id !== connectorId);
    await db.update(sessions).set({ connectorId }).where(isNull(sessions.connectorId));
    for (let i = 0; i < held.length; i += IN_CHUNK) {
      const chunk = held.slice(i, i + IN_CHUNK);
      const away = attached.length ? notInArray(sessions.connectorId, attached) : isNotNull(sessions.connectorId);
      await db.update(sessions).set({ connectorId }).where(and(inArray(sessions.id, chunk), away));
    }
    const rows = await db
      .select({
        sessionId: sessions.id,
        state: sessions.desiredState,
        authEpoch: sessions.authEpoch,
        startEpoch: sessions.startEpoch,
        expectedPhone: sessions.expectedPhone,
      })
      .from(sessions)
      .where(eq(sessions.connectorId, connectorId));
    const now = Date.now();
    for (const row of rows) this.snapshots.route(row.sessionId, connectorId, now);
    return rows.map(desiredOf);
  }

  // --- calls from the Worker (RPC) ---------------------------------------------------------------------

  /**
   * Tells the session's connector its desired state after the API recorded it in Turso. Assigns the
   * session to the least-loaded attached connector if none holds it; with none attached, the next
   * connector to say hello picks it up. `expect` is the status to show until the connector reports.
   */
  async syncSession(sessionId: string, expect?: SessionStatus): Promise<void> {
    if (expect) this.snapshots.expect(sessionId, expect, Date.now());
    const db = this.db();
    let row = await db.query.sessions.findFirst({ where: eq(sessions.id, sessionId) });
    if (!row) return;
    const connectors = this.connectors();
    if (!row.connectorId && connectors.size > 0) {
      const loads = await db
        .select({ connectorId: sessions.connectorId, count: sql<number>`count(*)` })
        .from(sessions)
        .where(inArray(sessions.connectorId, [...connectors.keys()]))
        .groupBy(sessions.connectorId);
      const load = (id: string) => loads.find((l) => l.connectorId === id)?.count ?? 0;
      const chosen = [...connectors.keys()].sort((a, b) => load(a) - load(b))[0]!;
      await db.update(sessions).set({ connectorId: chosen }).where(and(eq(sessions.id, sessionId), isNull(sessions.connectorId)));
      row = await db.query.sessions.findFirst({ where: eq(sessions.id, sessionId) });
      if (!row) return;
    }
    this.snapshots.route(sessionId, row.connectorId, Date.now());
    const ws = row.connectorId ? connectors.get(row.connectorId) : undefined;
    const desired = desiredOf({ sessionId, ...row, state: row.desiredState });
    ws?.send(JSON.stringify({ type: 'desired', sessions: [desired] } satisfies HubFrame));
  }

  /** Moves a session to connector `to` by hand: released on its old connector first, never unlinked. */
  async moveSession(sessionId: string, to: string): Promise<MoveOutcome> {
    const attached = this.connectors();
    return moveSession(sessionId, to, {
      db: this.db(),
      attached,
      lastHeard: (id) => this.failover.lastHeard(id, attached.get(id)),
      leaseMs: this.leaseMs(),
      command: (command, timeoutMs) => this.command(command, timeoutMs),
      moved: async (id, from, target) => {
        if (from) this.tenures.moved(id, from, target);
        await this.syncSession(id, 'STARTING');
      },
      now: Date.now(),
    });
  }

  /** The session is gone from Turso; its connector drops it (or learns so from its next welcome). */
  async removeSession(sessionId: string): Promise<void> {
    const connectorId = this.snapshots.connectorOf(sessionId);
    this.snapshots.delete(sessionId);
    this.tenures.forget(sessionId);
    this.watchers.closeSession(sessionId, Date.now());
    const ws = connectorId ? this.connectors().get(connectorId) : undefined;
    ws?.send(JSON.stringify({ type: 'remove', sessionIds: [sessionId] } satisfies HubFrame));
  }

  /**
   * Step one of opening a live stream (GET /api/events), for a key the Worker has just checked: a ticket
   * for the Worker's next fetch, or why no stream may open.
   */
  async issueStreamTicket(sessionId: string, keyHash: string): Promise<{ ticket: string } | StreamRefusal> {
    const config = readConfig(this.env);
    return this.watchers.issue(sessionId, keyHash, { perSession: config.STREAMS_PER_SESSION, total: config.STREAMS_TOTAL }, Date.now());
  }

  /** Step one of an admin stream, for an admin the Worker has just checked: a pass the client may carry. */
  async issueStreamPass(scope: string): Promise<{ pass: string; expiresAt: number }> {
    return this.watchers.issuePass(scope, Date.now());
  }

  /** Step two: the client's pass, spent on a ticket for the Worker's next fetch, or why not (null: no such pass). */
  async redeemStreamPass(pass: string): Promise<{ ticket: string } | StreamRefusal | null> {
    const config = readConfig(this.env);
    return this.watchers.redeemPass(pass, { perSession: config.STREAMS_PER_SESSION, total: config.STREAMS_TOTAL }, Date.now());
  }

  /** A webhook delivery was recorded: the dashboards watching the session refresh their delivery log. */
  async deliveryRecorded(sessionId: string, eventId: string, outcome: 'delivered' | 'failed' | 'dead'): Promise<void> {
    this.watchers.toAdmins(sessionId, JSON.stringify({ event: 'webhook.delivery', sessionId, timestamp: Date.now(), data: { eventId, outcome } }));
  }

  private async openStream(ticket: string): Promise<Response> {
    const now = Date.now();
    const client = this.watchers.open(ticket, now);
    if (!client) return Response.json({ success: false, error: 'Unknown or used stream ticket', code: 'UNAUTHORISED' }, { status: 401 });
    await this.wakeBy(now + readConfig(this.env).STREAM_IDLE_MS);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** The keys were rotated or revoked: their streams close now, and they can open no new ones. */
  async closeStreams(keyHashes: string[]): Promise<void> {
    this.watchers.closeKeys(keyHashes, Date.now());
  }

  /** The ids of the connectors attached and authenticated right now. */
  async attachedConnectors(): Promise<string[]> {
    return [...this.connectors().keys()];
  }

  async view(sessionId: string): Promise<SessionView | null> {
    const snapshot = this.snapshots.get(sessionId);
    if (!snapshot) return null;
    const connectorId = this.snapshots.connectorOf(sessionId);
    return { ...snapshot, connectorAttached: !!connectorId && this.connectors().has(connectorId) };
  }

  /** Relays a command to the connector holding the session and waits for its one result or the deadline. */
  async command(command: Command, timeoutMs: number): Promise<CommandOutcome> {
    const connectorId = this.snapshots.connectorOf(command.sessionId);
    const ws = connectorId ? this.connectors().get(connectorId) : undefined;
    if (!ws) return { ok: false, code: 'CONNECTOR_OFFLINE', message: 'No connector holding this session is attached' };
    const id = crypto.randomUUID();
    const deadline = Date.now() + timeoutMs;
    return new Promise<CommandOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, code: 'CONNECTOR_TIMEOUT', message: `The connector did not answer within ${timeoutMs} ms` });
      }, timeoutMs);
      this.pending.set(id, { socket: ws, resolve, timer });
      try {
        ws.send(JSON.stringify({ type: 'command', id, deadline, command } satisfies HubFrame));
      } catch {
        this.pending.delete(id);
        clearTimeout(timer);
        resolve({ ok: false, code: 'CONNECTOR_OFFLINE', message: 'The connector link is closing' });
      }
    });
  }
}
