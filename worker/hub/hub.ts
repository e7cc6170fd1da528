// The hub: one Durable Object that holds every connector's WebSocket. It authenticates connectors, tells
// them the desired state of their sessions, relays commands with deadlines, and makes their events durable
// in Turso before acking them. See shared/protocol.md.
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
import { toEnvelope } from '../events/envelope.ts';
import { webhookTarget, type WebhookSubscription } from '../webhooks/subscription.ts';
import { desiredOf } from './desired.ts';
import { storeEvents } from './event-store.ts';
import { Snapshots, type Snapshot } from './snapshots.ts';

/** Set by the Worker on a live-stream upgrade: the session the (already checked) key belongs to. */
export const WATCH_SESSION_HEADER = 'x-kabar-watch-session';

/** How long a connector has to answer the challenge. */
const HELLO_TIMEOUT_MS = 10_000;
const HEARTBEAT_MS = 15_000;
/** SQLite's bound-variable limit is far higher; this keeps each statement small. */
const IN_CHUNK = 500;
/** Events stored in one Turso batch at most; also the Queues limit of 100 messages per sendBatch. */
const EVENT_GROUP = 100;

type EventFrame = Extract<ConnectorFrame, { type: 'event' }>;
type InboundEvent = { ws: WebSocket; frame: EventFrame; done: () => void };

type Attachment =
  | { stage: 'challenge'; nonce: string; openedAt: number }
  | { stage: 'ready'; connectorId: string }
  | { stage: 'replaced' };

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
  private readonly pending = new Map<string, Pending>();
  /** Events received and not yet stored; see onEvent. */
  private readonly inbound: InboundEvent[] = [];
  private storing: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.snapshots = new Snapshots(ctx.storage.sql);
    // Heartbeats are answered by the runtime itself, so an idle hub can hibernate.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  }

  private db(): Db {
    return createDb(readConfig(this.env));
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

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('expected a WebSocket upgrade', { status: 426 });
    }
    const watched = request.headers.get(WATCH_SESSION_HEADER);
    if (watched) return this.watch(watched);
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, ['connector']);
    const attachment: Attachment = { stage: 'challenge', nonce: randomNonce(), openedAt: Date.now() };
    server.serializeAttachment(attachment);
    server.send(JSON.stringify({ type: 'challenge', protocol: PROTOCOL_VERSION, nonce: attachment.nonce } satisfies HubFrame));
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null) await this.ctx.storage.setAlarm(attachment.openedAt + HELLO_TIMEOUT_MS);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A live event stream for one session (GET /api/events; the Worker has checked the key). */
  private watch(sessionId: string): Response {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, ['watcher', `watch:${sessionId}`]);
    const snapshot = this.snapshots.get(sessionId);
    server.send(JSON.stringify({ event: 'stream.ready', sessionId, timestamp: Date.now(), data: { status: snapshot?.status ?? null, qrDataUrl: snapshot?.qrDataUrl ?? null } }));
    return new Response(null, { status: 101, webSocket: client });
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    let next: number | null = null;
    for (const ws of this.ctx.getWebSockets('connector')) {
      const a = ws.deserializeAttachment() as Attachment | null;
      if (a?.stage !== 'challenge') continue;
      const due = a.openedAt + HELLO_TIMEOUT_MS;
      if (due <= now) ws.close(CloseCode.unauthorised, 'no hello in time');
      else next = Math.min(next ?? due, due);
    }
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
    if (!attachment || attachment.stage === 'replaced') return; // watchers have none: what they send is ignored
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
        await this.onEvent(ws, frame);
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
    this.detach(ws);
    // Complete the closing handshake, or the connector waits for our close frame until its own timeout.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closing');
    } catch {
      // already closed
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.detach(ws);
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
    ws.send(JSON.stringify({ type: 'welcome', connectorId: frame.connectorId, heartbeatMs: HEARTBEAT_MS, sessions: desired, removed } satisfies HubFrame));
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

  /**
   * Events are stored one group at a time, in arrival order: whatever arrived while a group was being
   * written is the next group, so under load many events share one Turso round trip and one ack frame,
   * and a session's events are never written out of order. Results of commands do not wait for this.
   */
  private onEvent(ws: WebSocket, frame: EventFrame): Promise<void> {
    // The frame's handler waits for its group: a hub running a handler is not hibernated mid-write.
    const handled = new Promise<void>((done) => this.inbound.push({ ws, frame, done }));
    if (!this.storing) this.storing = this.storeInbound().finally(() => (this.storing = null));
    return handled;
  }

  private async storeInbound(): Promise<void> {
    while (this.inbound.length > 0) {
      const group = this.inbound.splice(0, EVENT_GROUP);
      try {
        await this.storeGroup(group);
      } catch (error) {
        // Whatever went wrong, the queue keeps moving; unacked events come back from the connector.
        console.error('hub: failed to handle events', error);
      } finally {
        for (const { done } of group) done();
      }
    }
  }

  private async storeGroup(group: InboundEvent[]): Promise<void> {
    let sessionsFound: Map<string, WebhookSubscription>;
    try {
      sessionsFound = await storeEvents(this.db(), group.map((g) => g.frame));
      const jobs = group.filter((g) => {
        const subscription = sessionsFound.get(g.frame.sessionId);
        return subscription && webhookTarget(subscription, readConfig(this.env).WEBHOOK_URL, g.frame.event.name);
      });
      // Queued before the ack: if this fails, the connector resends and the events are queued then. An
      // event no webhook wants (no URL, or filtered out) is not queued at all.
      if (jobs.length > 0) await this.env.WEBHOOKS.sendBatch(jobs.map(({ frame }) => ({ body: { eventId: frame.id, sessionId: frame.sessionId } })));
    } catch (error) {
      // Not acked: the connector keeps these events in its outbox and sends them again.
      console.error('hub: could not store events', group.map((g) => g.frame.id), error);
      return;
    }
    for (const { frame } of group) {
      if (!sessionsFound.has(frame.sessionId)) continue; // deleted meanwhile: acked below and dropped
      this.snapshots.apply(frame.sessionId, frame.event, frame.at);
      this.broadcast(frame.sessionId, JSON.stringify(toEnvelope(frame.id, frame.sessionId, frame.at, frame.event)));
    }
    const idsBySocket = new Map<WebSocket, string[]>();
    for (const { ws, frame } of group) idsBySocket.set(ws, [...(idsBySocket.get(ws) ?? []), frame.id]);
    for (const [ws, ids] of idsBySocket) {
      try {
        ws.send(JSON.stringify({ type: 'ack', ids } satisfies HubFrame));
      } catch {
        // that link is gone; its connector resends these events on the next one, and they dedupe
      }
    }
  }

  private broadcast(sessionId: string, text: string): void {
    for (const ws of this.ctx.getWebSockets(`watch:${sessionId}`)) {
      try {
        ws.send(text);
      } catch {
        // a watcher that went away; its close handler cleans up
      }
    }
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

  /** The session is gone from Turso; its connector drops it (or learns so from its next welcome). */
  async removeSession(sessionId: string): Promise<void> {
    const connectorId = this.snapshots.connectorOf(sessionId);
    this.snapshots.delete(sessionId);
    for (const watcher of this.ctx.getWebSockets(`watch:${sessionId}`)) watcher.close(4004, 'session deleted');
    const ws = connectorId ? this.connectors().get(connectorId) : undefined;
    ws?.send(JSON.stringify({ type: 'remove', sessionIds: [sessionId] } satisfies HubFrame));
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
