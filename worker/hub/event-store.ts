// Makes connector events durable in Turso, with their side effects on sessions and messages and the
// pending rows of the webhook jobs they make: a group of events costs one lookup of their sessions and one
// batch (a transaction) of a few statements (event-statements.ts), whatever its size. The events table is
// keyed by the connector's event id, so a resent event changes nothing twice (nor makes a second webhook job),
// and a session's status only moves forward in event time, so a resent old one changes nothing at all.
import { and, eq, gt, notExists, sql } from 'drizzle-orm';
import type { InArgs, InStatement, ResultSet } from '@libsql/client/web';
import { events, sessions } from '../../shared/db/schema.ts';
import type { SessionEvent } from '../../shared/protocol.ts';
import type { Db } from '../db/client.ts';
import type { WebhookSubscription } from '../webhooks/subscription.ts';
import { acceptedFrom, formerList } from './event-fence.ts';
import {
  eventRecords,
  messageStatuses,
  newJobs,
  pendingJobs,
  receivedMessages,
  sentMessages,
  type EventRecord,
  unchangedSessions,
  type MessageRow,
} from './event-statements.ts';
import type { KnownSessions, SessionRow } from './known-sessions.ts';
import { eventReason } from './status-reason.ts';

const SESSIONS_OF = `select id, connector_id, former_connectors, webhook_url, webhook_events from sessions where id in (select value from json_each(?))`;

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

/** The messages row for a message this session sent, as the first event about it creates it. */
function outgoingRow(id: string, sessionId: string, at: number, sent: { messageId: string; to: string; timestamp: number }, text: string, status: string, type = 'text', mediaId: string | null = null): MessageRow {
  const group = sent.to.endsWith('@g.us');
  return [id, sessionId, group ? sent.to : `${sent.to}@s.whatsapp.net`, group ? null : sent.to, text, sent.messageId, type, mediaId, status, sent.timestamp, at];
}

/**
 * What the events table keeps of an event. A QR is a live credential for linking the account, good for
 * seconds: its record says one was shown, not what it was. The live stream, the hub's snapshot and the
 * webhook job carry the QR itself.
 */
function loggedPayload(event: SessionEvent): string {
  return JSON.stringify(event.name === 'qr' ? { name: 'qr' } : event);
}

const record = ({ id, sessionId, at, event }: StoredEvent): EventRecord => [id, sessionId, event.name, loggedPayload(event), at];

function laterStatus(db: Db, sessionId: string, at: number) {
  return db
    .select({ one: sql`1` })
    .from(events)
    .where(and(eq(events.sessionId, sessionId), eq(events.name, 'connection.update'), gt(events.occurredAt, at)));
}

/** A connection.update's own statements, in its place among the others: they are rare, and judged by time. */
function statusWrites(db: Db, e: StoredEvent & { event: { name: 'connection.update' } }): InStatement[] {
  const { sessionId, at, event } = e;
  const user = event.user;
  const reason = eventReason(event, at);
  const update = db
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
    .where(and(eq(sessions.id, sessionId), notExists(laterStatus(db, sessionId, at))))
    .toSQL();
  return [eventRecords([record(e)]), { sql: update.sql, args: update.params as InArgs }];
}

/** The row an event about a message upserts, under the statement that upserts it; null for other events. */
function messageWrite({ id, sessionId, at, event }: StoredEvent): { kind: 'received' | 'sent' | 'status'; key: string; row: MessageRow } | null {
  switch (event.name) {
    case 'message.received':
      return {
        kind: 'received',
        key: `${sessionId} in ${event.messageId}`,
        row: [
          id,
          sessionId,
          // A group message is stored under the group, with its sender's phone; a sender WhatsApp named by
          // LID alone under its LID, with no phone.
          event.chat?.type === 'group' ? event.chat.id : event.from ? `${event.from}@s.whatsapp.net` : (event.fromLid ?? ''),
          event.from,
          event.text,
          event.messageId,
          event.type ?? 'text',
          event.media?.id ?? null,
          'received',
          event.timestamp,
          at,
        ],
      };
    case 'message.sent':
      return { kind: 'sent', key: `${sessionId} out ${event.messageId}`, row: outgoingRow(id, sessionId, at, event, event.text, 'sent', event.type ?? 'text', event.media?.id ?? null) };
    case 'message.status':
      return { kind: 'status', key: `${sessionId} out ${event.messageId}`, row: outgoingRow(id, sessionId, at, event, '', event.status) };
    // Chat events are kept in the event log (and delivered); messages rows are for messages themselves.
    default:
      return null;
  }
}

/**
 * The upserts of the group's messages rows, one statement per kind and round: a message's n-th event of the
 * group is in round n, so two events about one message apply in their order, and a round's statements touch
 * different messages each.
 */
function messageWrites(stored: readonly StoredEvent[]): InStatement[] {
  const rounds: { received: MessageRow[]; sent: MessageRow[]; status: MessageRow[] }[] = [];
  const seen = new Map<string, number>();
  for (const e of stored) {
    const write = messageWrite(e);
    if (!write) continue;
    const round = seen.get(write.key) ?? 0;
    seen.set(write.key, round + 1);
    (rounds[round] ??= { received: [], sent: [], status: [] })[write.kind].push(write.row);
  }
  return rounds.flatMap(({ received, sent, status }) => [
    ...(received.length ? [receivedMessages(received)] : []),
    ...(sent.length ? [sentMessages(sent)] : []),
    ...(status.length ? [messageStatuses(status)] : []),
  ]);
}

/** The sessions the group names: who holds them, who held them, and their webhook settings. */
async function lookUpSessions(db: Db, ids: readonly string[]): Promise<SessionRow[]> {
  const { rows } = await db.$client.execute({ sql: SESSIONS_OF, args: [JSON.stringify(ids)] });
  return rows.map((row) => ({
    id: String(row.id),
    connectorId: row.connector_id === null ? null : String(row.connector_id),
    formerConnectors: String(row.former_connectors),
    webhookUrl: row.webhook_url as string | null,
    webhookEvents: row.webhook_events as string | null,
  }));
}

const idsOf = (result: ResultSet | undefined, column: string) => (result?.rows ?? []).map((row) => String(row[column]));

/**
 * Stores the events, in order, of the sessions that still exist, as event-fence.ts allows them from their
 * sender. Others are left out: those of a session that is gone (deleted while they were in flight), and the
 * live state a connector reports for a session it does not hold (the caller acks and drops them). Throws when
 * the batch fails; then nothing of it was stored. With `known`, a group whose sessions were all read before
 * costs one request; a batch that finds them changed is run again after reading them afresh.
 */
export async function storeEvents(db: Db, group: readonly ReceivedEvent[], wanted: WebhookWanted = () => false, known?: KnownSessions): Promise<StoreResult> {
  const ids = [...new Set(group.map((e) => e.sessionId))];
  const remembered = known?.rowsOf(ids);
  if (remembered) {
    try {
      return await storeGroup(db, group, wanted, remembered, true);
    } catch {
      // Changed since (or the batch failed otherwise, and fails again below to say why).
      known!.forget();
    }
  }
  const rows = await lookUpSessions(db, ids);
  known?.remember(rows);
  return storeGroup(db, group, wanted, rows, false);
}

/** One batch: the events as these session rows decide, checked against Turso first when they were remembered. */
async function storeGroup(db: Db, group: readonly ReceivedEvent[], wanted: WebhookWanted, rows: readonly SessionRow[], check: boolean): Promise<StoreResult> {
  const owners = new Map(rows.map((r) => [r.id, r.connectorId]));
  const former = new Map(rows.map((r) => [r.id, formerList(r.formerConnectors)]));
  const subscriptions = new Map<string, WebhookSubscription>(rows.map((r) => [r.id, { webhookUrl: r.webhookUrl, webhookEvents: r.webhookEvents }]));
  const stored = group
    .filter((e) => acceptedFrom(e.event, e.connectorId, owners.get(e.sessionId), former.get(e.sessionId)))
    .map(({ connectorId: _, ...e }) => e);
  const wantedEvents = stored.filter((e) => wanted(e, subscriptions.get(e.sessionId)!));
  // The jobs' rows commit with their events, ahead of them and only for events not stored yet: one round
  // trip, no event stored without the job that a queue which lost it is filled again from (pending-jobs.ts),
  // and no job recorded again for an event whose job is finished. A QR is worthless by then.
  const jobRows = wantedEvents.filter((e) => e.event.name !== 'qr').map((e): [string, string] => [e.id, e.sessionId]);
  const statements: InStatement[] = check ? [unchangedSessions(rows)] : [];
  /** The statements whose returned ids are the events stored now. */
  const recordsAt: number[] = [];
  if (jobRows.length > 0) statements.push(newJobs(jobRows));
  const others = stored.filter((e) => e.event.name !== 'connection.update').map(record);
  if (others.length > 0) {
    recordsAt.push(statements.length);
    statements.push(eventRecords(others));
  }
  for (const e of stored) {
    if (e.event.name !== 'connection.update') continue;
    recordsAt.push(statements.length);
    statements.push(...statusWrites(db, e as StoredEvent & { event: { name: 'connection.update' } }));
  }
  statements.push(...messageWrites(stored));
  const pendingAt = statements.length;
  if (jobRows.length > 0) statements.push(pendingJobs(jobRows.map(([eventId]) => eventId)));
  // Run even when it writes nothing: events refused on remembered rows are dropped only once Turso agrees.
  const results = statements.length > 0 ? await db.$client.batch(statements) : [];
  // An id may come twice in one group (sent again before its ack): its first copy is the one stored.
  const inserted = new Set(recordsAt.flatMap((at) => idsOf(results[at], 'id')));
  const stillPending = new Set(jobRows.length > 0 ? idsOf(results[pendingAt], 'event_id') : []);
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
