// Connector events on their way into Turso: received, held in a bounded queue, stored a group at a time,
// then applied to the snapshots, broadcast to live streams, queued for webhooks and acked.
import { EVENT_WINDOW, type ConnectorFrame, type HubFrame } from '../../shared/protocol.ts';
import type { Db } from '../db/client.ts';
import { toEnvelope } from '../events/envelope.ts';
import { withMediaUrl, type MediaUrlConfig } from '../events/media-url.ts';
import type { WebhookJob } from '../webhooks/delivery.ts';
import { webhookTarget } from '../webhooks/subscription.ts';
import { storeEvents, type StoreResult } from './event-store.ts';
import { KnownSessions } from './known-sessions.ts';
import { QueuedByHub } from './queued-by-hub.ts';
import type { Snapshots } from './snapshots.ts';
import type { Watchers } from './watchers.ts';

/** Events stored in one Turso batch at most; also the Queues limit of 100 messages per sendBatch. */
const EVENT_GROUP = 100;

type EventFrame = Extract<ConnectorFrame, { type: 'event' }>;
type InboundEvent = { ws: WebSocket; connectorId: string; frame: EventFrame; done: () => void };

export interface InboundDeps {
  db: () => Db;
  webhookUrl: () => string | undefined;
  /** What received media's public links are made from; `origin` undefined until known. */
  mediaUrls: () => { config: MediaUrlConfig; origin: string | undefined };
  webhooks: Queue<WebhookJob>;
  snapshots: Snapshots;
  watchers: Watchers;
}

/**
 * Events are stored one group at a time, in arrival order: whatever arrived while a group was being
 * written is the next group, so under load many events share one Turso round trip and one ack frame,
 * and a session's events are never written out of order. Results of commands do not wait for this.
 */
export class InboundEvents {
  private readonly deps: InboundDeps;
  /** Events received and not yet stored. */
  private readonly inbound: InboundEvent[] = [];
  /** Events of each link received and not yet handled: never more than EVENT_WINDOW. */
  private readonly heldBy = new Map<WebSocket, number>();
  /** Links whose overflow has been logged, until they are back under the window. */
  private readonly overflowing = new Set<WebSocket>();
  private storing: Promise<void> | null = null;
  private readonly queued = new QueuedByHub();
  private readonly known = new KnownSessions();
  /**
   * One client for every group: making one (drizzle's schema mapping, the HTTP client) cost workerd CPU per
   * group, and it holds nothing between requests but its settings.
   */
  private db: Db | undefined;

  constructor(deps: InboundDeps) {
    this.deps = deps;
  }

  receive(ws: WebSocket, connectorId: string, frame: EventFrame): Promise<void> {
    // A link past its window (a connector that ignores it) has the overflow dropped unacked: it stays in
    // that connector's outbox and comes again, so the queue here is bounded by the links attached.
    const held = this.heldBy.get(ws) ?? 0;
    if (held >= EVENT_WINDOW) {
      if (!this.overflowing.has(ws)) console.warn(`hub: connector ${connectorId} sent more than ${EVENT_WINDOW} events unacked; dropping the overflow`);
      this.overflowing.add(ws);
      return Promise.resolve();
    }
    this.heldBy.set(ws, held + 1);
    const release = () => {
      const left = (this.heldBy.get(ws) ?? 1) - 1;
      this.overflowing.delete(ws);
      if (left > 0) this.heldBy.set(ws, left);
      else this.heldBy.delete(ws);
    };
    // The frame's handler waits for its group: a hub running a handler is not hibernated mid-write.
    const handled = new Promise<void>((done) => this.inbound.push({ ws, connectorId, frame, done: () => (release(), done()) }));
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
    let result: StoreResult;
    try {
      // The jobs' pending rows are written in the events' own batch, so a queue that loses them can be filled again.
      result = await storeEvents(
        (this.db ??= this.deps.db()),
        group.map((g) => ({ ...g.frame, connectorId: g.connectorId })),
        (e, subscription) => Boolean(webhookTarget(subscription, this.deps.webhookUrl(), e.event.name)),
        this.known,
      );
      // Queued before the ack: if this fails, the connector resends and the events, stored by then, are
      // queued as still pending and not queued by this hub. An event no webhook wants (no URL, or filtered
      // out) is not queued at all, nor is one queued before whose copy came again.
      const queueing = new Set([...result.jobs, ...result.pending.filter((e) => !this.queued.has(e.id))]);
      const jobs = result.stored.filter((e) => queueing.has(e));
      // A QR is not kept in the event log, so its job carries it.
      if (jobs.length > 0) {
        // The origin of media links goes with the job: the consumer serves no request to take it from.
        const { origin } = this.deps.mediaUrls();
        await this.deps.webhooks.sendBatch(
          jobs.map((e) => ({ body: { eventId: e.id, sessionId: e.sessionId, ...(e.event.name === 'qr' ? { event: e.event } : {}), ...(origin ? { origin } : {}) } })),
        );
        this.queued.add(jobs.map((e) => e.id));
      }
    } catch (error) {
      // Not acked: the connector keeps these events in its outbox and sends them again.
      console.error('hub: could not store events', group.map((g) => g.frame.id), error);
      return;
    }
    // Events of a deleted session, and those a connector sent for a session it does not hold, are acked
    // below and dropped: resending them could never change that, and would hold up its outbox behind them.
    if (result.stored.length < group.length) {
      const stored = new Set(result.stored.map((e) => e.id));
      const refused = group.filter((g) => !stored.has(g.frame.id) && result.subscriptions.has(g.frame.sessionId));
      if (refused.length > 0) console.warn('hub: dropped live-state events from connectors that do not hold the session', refused.map((g) => `${g.connectorId}:${g.frame.sessionId}`));
    }
    const { config, origin } = this.deps.mediaUrls();
    for (const e of result.stored) {
      this.deps.snapshots.apply(e.sessionId, e.event, e.at);
      const event = await withMediaUrl(e.event, config, origin, Date.now());
      this.deps.watchers.broadcast(e.sessionId, JSON.stringify(toEnvelope(e.id, e.sessionId, e.at, event)));
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
}
