// Makes connector events durable in Turso, with their side effects on sessions and messages and the
// pending rows of the webhook jobs they make: a group of events costs one lookup of their sessions and one
// batch (a transaction), whatever its size. The events
// table is keyed by the connector's event id, so a resent event changes nothing twice (nor makes a second
// webhook job), and a session's
// status only moves forward in event time, so a resent old one changes nothing at all.
import { and, eq, gt, inArray, notExists, notInArray, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { events, messages, sessions } from '../../shared/db/schema.ts';
import type { SessionEvent } from '../../shared/protocol.ts';
import type { MessageStatus } from '../../shared/status.ts';
import type { Db } from '../db/client.ts';
import { newJobWrites, pendingJobsOf } from '../webhooks/pending-jobs.ts';
import type { WebhookSubscription } from '../webhooks/subscription.ts';
import { acceptedFrom, formerList } from './event-fence.ts';
import { eventReason } from './status-reason.ts';

/** A status may only move forward: a late "delivered" must not undo "read". */
const LATER_STATUSES: Record<string, MessageStatus[]> = {
  // A queued message's row exists from its enqueue; anything that happened to it since is later.
  queued: ['queued', 'sent', 'delivered', 'read', 'failed', 'cancelled'],
  cancelled: ['sent', 'delivered', 'read', 'failed', 'cancelled'],
  sent: ['sent', 'delivered', 'read'],
  delivered: ['delivered', 'read'],
  read: ['read'],
  failed: ['delivered', 'read', 'failed'],
};

/** SQLite's bound-variable limit is far higher; this keeps the lookup statement small. */
const LOOKUP_CHUNK = 500;

export interface StoredEvent {
  id: string;
  sessionId: string;
  at: number;
  event: SessionEvent;
}

/** An event as it arrived, from the connector that sent it. */
export interface ReceivedEvent extends StoredEvent {
  connectorId: string;
}

export interface StoreResult {
  /** The events stored (or already stored before): those of existing sessions that their sender may report. */
  stored: StoredEvent[];
  /** Those sessions' webhook settings as they were then. */
  subscriptions: Map<string, WebhookSubscription>;
  /**
   * The events first stored now that a webhook wants, in order; their pending-job rows (a QR's excepted) are
   * in the same batch. An event stored before (a resend) is not among them: its job was recorded then.
   */
  jobs: StoredEvent[];
  /** Events stored before whose job is still pending (not delivered, nor given up on): perhaps never queued. */
  pending: StoredEvent[];
}

/** Whether a webhook wants this event, given its session's subscription. */
export type WebhookWanted = (event: StoredEvent, subscription: WebhookSubscription) => boolean;

const OUTGOING_KEY = [messages.sessionId, messages.direction, messages.providerMessageId];

/** The messages row for a message this session sent, as the first event about it creates it. */
function outgoingRow(id: string, sessionId: string, at: number, sent: { messageId: string; to: string; timestamp: number }, text: string, status: MessageStatus) {
  const group = sent.to.endsWith('@g.us');
  return {
    id,
    sessionId,
    direction: 'out' as const,
    remoteJid: group ? sent.to : `${sent.to}@s.whatsapp.net`,
    remotePhone: group ? null : sent.to,
    text,
    providerMessageId: sent.messageId,
    status,
    createdAt: sent.timestamp,
    updatedAt: at,
  };
}

/**
 * What the events table keeps of an event. A QR is a live credential for linking the account, good for
 * seconds: its record says one was shown, not what it was. The live stream, the hub's snapshot and the
 * webhook job carry the QR itself.
 */
function loggedPayload(event: SessionEvent): string {
  return JSON.stringify(event.name === 'qr' ? { name: 'qr' } : event);
}

function laterStatus(db: Db, sessionId: string, at: number) {
  return db
    .select({ one: sql`1` })
    .from(events)
    .where(and(eq(events.sessionId, sessionId), eq(events.name, 'connection.update'), gt(events.occurredAt, at)));
}

/** The writes one event makes, in order: its record, then its side effect. */
function writesFor(db: Db, { id, sessionId, at, event }: StoredEvent): BatchItem<'sqlite'>[] {
  // What it returns says whether this event is new, and so whether its webhook job is to be queued.
  const record = db
    .insert(events)
    .values({ id, sessionId, name: event.name, payload: loggedPayload(event), occurredAt: at })
    .onConflictDoNothing()
    .returning({ id: events.id });
  switch (event.name) {
    case 'qr':
    case 'pairing.code':
    // Chat events are kept in the event log (and delivered); messages rows are for messages themselves.
    case 'message.reaction':
    case 'message.edited':
    case 'message.revoked':
    case 'poll.vote':
    case 'presence.update':
    case 'group.joined':
    case 'group.left':
    case 'group.updated':
    case 'group.participants':
    case 'session.warning':
      return [record];
    case 'connection.update': {
      const user = event.user;
      const reason = eventReason(event, at);
      return [
        record,
        db
          .update(sessions)
          .set({
            status: event.status,
            statusReason: reason ? JSON.stringify(reason) : null,
            // SET sees the row as it was: a repeat of the same status keeps when it began.
            statusSince: sql`case when ${sessions.status} = ${event.status} then coalesce(${sessions.statusSince}, ${at}) else ${at} end`,
            updatedAt: at,
            ...(user ? { meJid: user.id, meName: user.name ?? null, phone: sql`coalesce(${sessions.phone}, ${user.id.split(/[:@]/)[0]})` } : {}),
          })
          // Not over a status that happened later: events arrive again after reconnects, and out of order.
        .where(and(eq(sessions.id, sessionId), notExists(laterStatus(db, sessionId, at)))),
      ];
    }
    case 'message.received':
      return [
        record,
        db
          .insert(messages)
          .values({
            id,
            sessionId,
            direction: 'in',
            // A group message is stored under the group, with its sender's phone; a sender WhatsApp named by
            // LID alone under its LID, with no phone.
            remoteJid: event.chat?.type === 'group' ? event.chat.id : event.from ? `${event.from}@s.whatsapp.net` : (event.fromLid ?? ''),
            remotePhone: event.from,
            text: event.text,
            providerMessageId: event.messageId,
            type: event.type ?? 'text',
            mediaId: event.media?.id ?? null,
            status: 'received',
            createdAt: event.timestamp,
            updatedAt: at,
          })
          .onConflictDoNothing(),
      ];
    // Both are upserts: the message.sent event and a receipt may reach the hub in either order. The first
    // creates the row; message.sent adds the text, a receipt moves the status forward.
    case 'message.sent':
      return [
        record,
        db
          .insert(messages)
          .values({ ...outgoingRow(id, sessionId, at, event, event.text, 'sent'), type: event.type ?? 'text', mediaId: event.media?.id ?? null })
          .onConflictDoUpdate({ target: OUTGOING_KEY, set: { text: event.text, type: event.type ?? 'text', mediaId: event.media?.id ?? null } }),
      ];
    case 'message.status':
      return [
        record,
        db
          .insert(messages)
          .values(outgoingRow(id, sessionId, at, event, '', event.status))
          .onConflictDoUpdate({
            target: OUTGOING_KEY,
            set: { status: event.status, updatedAt: at },
            setWhere: notInArray(messages.status, LATER_STATUSES[event.status] ?? []),
          }),
      ];
  }
}

/**
 * Stores the events, in order, of the sessions that still exist, as event-fence.ts allows them from their
 * sender. Others are left out: those of a session that is gone (deleted while they were in flight), and the
 * live state a connector reports for a session it does not hold (the caller acks and drops them). Throws when the batch
 * fails; then nothing of it was stored.
 */
export async function storeEvents(db: Db, group: readonly ReceivedEvent[], wanted: WebhookWanted = () => false): Promise<StoreResult> {
  const ids = [...new Set(group.map((e) => e.sessionId))];
  const owners = new Map<string, string | null>();
  const former = new Map<string, string[]>();
  const subscriptions = new Map<string, WebhookSubscription>();
  for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
    const rows = await db
      .select({
        id: sessions.id,
        connectorId: sessions.connectorId,
        formerConnectors: sessions.formerConnectors,
        webhookUrl: sessions.webhookUrl,
        webhookEvents: sessions.webhookEvents,
      })
      .from(sessions)
      .where(inArray(sessions.id, ids.slice(i, i + LOOKUP_CHUNK)));
    for (const { id, connectorId, formerConnectors, ...subscription } of rows) {
      owners.set(id, connectorId);
      former.set(id, formerList(formerConnectors));
      subscriptions.set(id, subscription);
    }
  }
  const stored = group
    .filter((e) => acceptedFrom(e.event, e.connectorId, owners.get(e.sessionId), former.get(e.sessionId)))
    .map(({ connectorId: _, ...e }) => e);
  const wantedEvents = stored.filter((e) => wanted(e, subscriptions.get(e.sessionId)!));
  // The jobs' rows commit with their events, ahead of them and only for events not stored yet: one round
  // trip, no event stored without the job that a queue which lost it is filled again from (pending-jobs.ts),
  // and no job recorded again for an event whose job is finished. A QR is worthless by then.
  const jobRows = wantedEvents.filter((e) => e.event.name !== 'qr').map((e) => ({ eventId: e.id, sessionId: e.sessionId }));
  const eventWrites = stored.map((e) => writesFor(db, e));
  const writes: BatchItem<'sqlite'>[] = [...newJobWrites(db, jobRows)];
  const recordAt: number[] = [];
  for (const w of eventWrites) {
    recordAt.push(writes.length);
    writes.push(...w);
  }
  const pendingAt = writes.length;
  if (jobRows.length > 0) writes.push(pendingJobsOf(db, jobRows.map((j) => j.eventId)));
  const [first, ...rest] = writes;
  const results: unknown[] = first ? await db.batch([first, ...rest]) : [];
  // An id may come twice in one group (sent again before its ack): its first copy is the one stored.
  const inserted = new Set(recordAt.flatMap((at) => (results[at] as { id: string }[]).map((r) => r.id)));
  const stillPending = new Set(jobRows.length > 0 ? (results[pendingAt] as { eventId: string }[]).map((r) => r.eventId) : []);
  const jobs: StoredEvent[] = [];
  const pending: StoredEvent[] = [];
  const seen = new Set<string>();
  for (const e of wantedEvents) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    if (inserted.has(e.id)) jobs.push(e);
    else if (stillPending.has(e.id)) pending.push(e);
  }
  return { stored, subscriptions, jobs, pending };
}
