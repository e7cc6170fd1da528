// The hub: the Durable Object that holds connectors' WebSockets and live streams. It owns the entry points
// (fetch, alarm, socket events, RPC) and hands each concern to its module: the connector link
// (connector-link.ts), commands (commands.ts), placement (placement.ts), live streams (watchers.ts), and
// events made durable in Turso before they are acked (inbound-events.ts). See shared/protocol.md.
import { DurableObject } from 'cloudflare:workers';
import { CloseCode, ConnectorFrame, EventFrame, PING_FRAME, PONG_FRAME, parseFrame, type Command, type HubFrame } from '../../shared/protocol.ts';
import type { SessionStatus } from '../../shared/status.ts';
import { createDb, type Db } from '../db/client.ts';
import { readConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { Commands, type CommandOutcome } from './commands.ts';
import { ConnectorLink, type ConnectorAttachment } from './connector-link.ts';
import { desiredOf } from './desired.ts';
import { UNROUTED_HUB, connectorHub } from './hub-address.ts';
import { InboundEvents } from './inbound-events.ts';
import { LeaseWatch } from './lease-watch.ts';
import { desiredRows, place } from './placement.ts';
import { handOver } from './session-move.ts';
import { Snapshots, type Snapshot } from './snapshots.ts';
import { STREAM_TICKET_HEADER, Watchers, type StreamRefusal, type WatcherAttachment } from './watchers.ts';

export type { CommandOutcome } from './commands.ts';

const WORKER_ORIGIN_KEY = 'worker-origin';

type Attachment = ConnectorAttachment | WatcherAttachment;

export interface SessionView extends Snapshot {
  /** Whether the connector holding the session is attached right now. */
  connectorAttached: boolean;
}

export class Hub extends DurableObject<Env> {
  private readonly snapshots: Snapshots;
  private readonly watchers: Watchers;
  private readonly commands = new Commands();
  private readonly link: ConnectorLink;
  private readonly inbound: InboundEvents;
  private readonly leases: LeaseWatch;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.snapshots = new Snapshots(ctx.storage.sql);
    this.watchers = new Watchers(ctx, this.snapshots);
    this.link = new ConnectorLink(ctx, {
      db: () => this.db(),
      secret: () => readConfig(this.env).CONNECTOR_SECRET,
      snapshots: this.snapshots,
      commands: this.commands,
      rememberOrigin: (origin) => this.ctx.storage.kv.put(WORKER_ORIGIN_KEY, origin),
      release: (from, sessionIds) => (from ? connectorHub(this.env.HUB, from) : this.env.HUB.get(this.env.HUB.idFromName(UNROUTED_HUB))).release(sessionIds),
      leaseMs: () => this.leaseMs(),
      // From now on this hub watches the directory's leases, once a lease.
      welcomed: (connectorId, at) => this.leases.welcomed(connectorId, at),
    });
    this.leases = new LeaseWatch({
      kv: ctx.storage.kv,
      db: () => this.db(),
      leaseMs: () => this.leaseMs(),
      live: () => this.link.connectors().size > 0,
      // This hub's own part is done here: a Durable Object does not call itself through its stub.
      handOver: (moves, own) => handOver(moves, (connectorId) => (connectorId === own ? this : connectorHub(this.env.HUB, connectorId))),
      wakeBy: (at) => this.wakeBy(at),
    });
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

  // --- sockets -----------------------------------------------------------------------------------------

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
    const { client, helloDue } = this.link.open(request);
    await this.wakeBy(helloDue);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** One alarm serves every deadline: it is moved earlier, never later, by whoever needs it sooner. */
  private async wakeBy(at: number): Promise<void> {
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > at) await this.ctx.storage.setAlarm(at);
  }

  /**
   * Closes connectors that did not say hello in time or asked for no renewal for a lease, and streams that
   * went silent; checks the leases.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const streams = this.watchers.sweep(readConfig(this.env).STREAM_IDLE_MS, now);
    const hellos = this.link.sweep(now);
    const { silent, next: renewals } = this.link.silent(now);
    for (const ws of silent) await this.dropLink(ws, 'no lease renewal for a lease');
    const leases = await this.leases.check(now);
    const due = [streams, hellos, renewals, leases].filter((at): at is number => at !== null);
    if (due.length > 0) await this.ctx.storage.setAlarm(Math.min(...due));
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
      await this.link.hello(ws, attachment, frame, message);
      return;
    }
    if (!frame) {
      console.warn('hub: dropped a malformed frame from', attachment.connectorId);
      return;
    }
    switch (frame.type) {
      case 'result':
        this.commands.settle(ws, frame);
        return;
      case 'results': {
        // Callers first: the events that came along are stored after their commands are answered.
        const malformed = this.commands.settleAll(ws, frame.results);
        if (malformed > 0) console.warn(`hub: dropped ${malformed} malformed results of ${frame.results.length} from`, attachment.connectorId);
        if (frame.events) await this.receiveEvents(ws, attachment.connectorId, frame.events);
        return;
      }
      case 'event':
        await this.inbound.receive(ws, attachment.connectorId, frame);
        return;
      case 'events':
        await this.receiveEvents(ws, attachment.connectorId, frame.events);
        return;
      case 'ping': // answered by the auto-response; a ping that reaches here was not byte-identical
        ws.send(PONG_FRAME);
        return;
      case 'renew':
        if (!(await this.link.renew(ws, attachment, frame.id))) await this.dropLink(ws, 'lease lost: say hello again');
        return;
      case 'seen':
        this.snapshots.seen(attachment.connectorId, frame.sessions);
        return;
      case 'hello':
        return;
    }
  }

  /** The items of an `events` batch, each on its own: a malformed one is dropped unacked (it stays in the connector's outbox), not the rest. */
  private async receiveEvents(ws: WebSocket, connectorId: string, events: unknown[]): Promise<void> {
    const items = events.map((item) => EventFrame.safeParse(item));
    const malformed = items.filter((i) => !i.success).length;
    if (malformed > 0) console.warn(`hub: dropped ${malformed} malformed events of ${items.length} from`, connectorId);
    await Promise.all(items.flatMap((i) => (i.success ? [this.inbound.receive(ws, connectorId, i.data)] : [])));
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    await this.leaseLapsesFrom(ws);
    this.commands.abandon(ws);
    await this.link.detached(ws).catch((error: unknown) => console.warn('hub: could not record a detach', error));
    // Complete the closing handshake, or the connector waits for our close frame until its own timeout.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closing');
    } catch {
      // already closed
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.leaseLapsesFrom(ws);
    this.commands.abandon(ws);
    await this.link.detached(ws).catch((error: unknown) => console.warn('hub: could not record a detach', error));
  }

  /**
   * Ends a link that holds no lease any more, as if it had closed: a silent socket's close would never come
   * (its peer is gone without a word), and a link whose lease was taken must say hello for a new one.
   */
  private async dropLink(ws: WebSocket, reason: string): Promise<void> {
    await this.leaseLapsesFrom(ws);
    this.commands.abandon(ws);
    await this.link.detached(ws).catch((error: unknown) => console.warn('hub: could not record a detach', error));
    try {
      ws.close(CloseCode.leaseLost, reason);
    } catch {
      // already closed
    }
  }

  /** A connector's link closed: its lease runs out as its last renewal left it. */
  private async leaseLapsesFrom(ws: WebSocket): Promise<void> {
    const a = ws.deserializeAttachment() as Attachment | null;
    if (a?.stage === 'ready') await this.leases.left(a.connectorId, Date.now());
  }

  private async openStream(ticket: string): Promise<Response> {
    const now = Date.now();
    const client = this.watchers.open(ticket, now);
    if (!client) return Response.json({ success: false, error: 'Unknown or used stream ticket', code: 'UNAUTHORISED' }, { status: 401 });
    await this.wakeBy(now + readConfig(this.env).STREAM_IDLE_MS);
    return new Response(null, { status: 101, webSocket: client });
  }

  // --- calls from the Worker (RPC) ---------------------------------------------------------------------

  /**
   * Tells the session's connector its desired state after the API recorded it in Turso, placing the
   * session first if no connector holds it (placement.ts). `expect` is the status to show until the
   * connector reports.
   */
  async syncSession(sessionId: string, expect?: SessionStatus): Promise<void> {
    if (expect) this.snapshots.expect(sessionId, expect, Date.now());
    const connectors = this.link.connectors();
    const row = await place(this.db(), sessionId, [...connectors.keys()]);
    if (!row) return;
    this.snapshots.route(sessionId, row.connectorId, Date.now());
    const ws = row.connectorId ? connectors.get(row.connectorId) : undefined;
    const desired = desiredOf({ sessionId, ...row, state: row.desiredState });
    ws?.send(JSON.stringify({ type: 'desired', sessions: [desired] } satisfies HubFrame));
  }

  /**
   * These sessions were moved to this hub's connector (failover, drain, a move by hand; the sessions rows
   * say so already): it is told to run them, and their status shows STARTING until it reports.
   */
  async adopt(sessionIds: string[]): Promise<void> {
    const rows = await desiredRows(this.db(), sessionIds);
    const connectors = this.link.connectors();
    const now = Date.now();
    const byConnector = new Map<string, ReturnType<typeof desiredOf>[]>();
    for (const row of rows) {
      if (!row.connectorId) continue;
      if (row.state === 'running') this.snapshots.expect(row.sessionId, 'STARTING', now);
      this.snapshots.route(row.sessionId, row.connectorId, now);
      byConnector.set(row.connectorId, [...(byConnector.get(row.connectorId) ?? []), desiredOf(row)]);
    }
    for (const [connectorId, desired] of byConnector) connectors.get(connectorId)?.send(JSON.stringify({ type: 'desired', sessions: desired } satisfies HubFrame));
  }

  /** The session is gone from Turso; its connector drops it (or learns so from its next welcome). */
  async removeSession(sessionId: string): Promise<void> {
    const connectorId = this.snapshots.connectorOf(sessionId);
    this.snapshots.delete(sessionId);
    this.watchers.closeSession(sessionId, Date.now());
    const ws = connectorId ? this.link.connectors().get(connectorId) : undefined;
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

  /**
   * Webhook deliveries were recorded: the dashboards watching their sessions refresh their delivery log. A
   * consumer batch tells each hub once, not once per delivery: every call waits its turn with the events
   * this hub is storing.
   */
  async deliveriesRecorded(deliveries: readonly { sessionId: string; eventId: string; outcome: 'delivered' | 'failed' | 'dead' }[]): Promise<void> {
    const timestamp = Date.now();
    for (const { sessionId, eventId, outcome } of deliveries) {
      this.watchers.toAdmins(sessionId, JSON.stringify({ event: 'webhook.delivery', sessionId, timestamp, data: { eventId, outcome } }));
    }
  }

  /** For the Worker fanning in an all-sessions admin stream whose pass it has just spent on another hub. */
  async issueAdminTicket(scope: string): Promise<{ ticket: string } | StreamRefusal> {
    const config = readConfig(this.env);
    return this.watchers.issueAdmin(scope, { perSession: config.STREAMS_PER_SESSION, total: config.STREAMS_TOTAL }, Date.now());
  }

  /**
   * These sessions now follow their login to another connector (whose hub calls this): forget them here
   * without telling the connector anything (absence is not deletion), and send their streams there.
   */
  async release(sessionIds: string[]): Promise<void> {
    for (const sessionId of sessionIds) {
      this.snapshots.delete(sessionId);
      this.watchers.moveAway(sessionId);
    }
  }

  /** The keys were rotated or revoked: their streams close now, and they can open no new ones. */
  async closeStreams(keyHashes: string[]): Promise<void> {
    this.watchers.closeKeys(keyHashes, Date.now());
  }

  /** The ids of the connectors attached and authenticated right now. */
  async attachedConnectors(): Promise<string[]> {
    return [...this.link.connectors().keys()];
  }

  async view(sessionId: string): Promise<SessionView | null> {
    const snapshot = this.snapshots.get(sessionId);
    if (!snapshot) return null;
    const connectorId = this.snapshots.connectorOf(sessionId);
    return { ...snapshot, connectorAttached: !!connectorId && this.link.connectors().has(connectorId) };
  }

  /** Relays a command to the connector holding the session and waits for its one result or the deadline. */
  async command(command: Command, timeoutMs: number): Promise<CommandOutcome> {
    const connectorId = this.snapshots.connectorOf(command.sessionId);
    return this.commands.relay(connectorId ? this.link.connectors().get(connectorId) : undefined, command, timeoutMs);
  }
}
