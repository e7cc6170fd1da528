// The SQL the event store runs for a group of events, written once: each statement takes all its rows as one
// JSON array (read back with json_each), so a group costs the same few statements whatever its size, the
// text never changes (the server prepares it once), and the Worker builds no query per event.
import type { InStatement } from '@libsql/client/web';
import type { MessageStatus } from '../../shared/status.ts';
import type { SessionRow } from './known-sessions.ts';

/** A status may only move forward: a late "delivered" must not undo "read". */
export const LATER_STATUSES: Record<string, MessageStatus[]> = {
  // A queued message's row exists from its enqueue; anything that happened to it since is later.
  queued: ['queued', 'sent', 'delivered', 'read', 'failed', 'cancelled'],
  cancelled: ['sent', 'delivered', 'read', 'failed', 'cancelled'],
  sent: ['sent', 'delivered', 'read'],
  delivered: ['delivered', 'read'],
  read: ['read'],
  failed: ['delivered', 'read', 'failed'],
};

const quoted = (statuses: readonly string[]) => statuses.map((s) => `'${s}'`).join(', ');

/** Whether the stored row's status is earlier than the incoming one, for every status at once. */
const EARLIER = `case excluded.status ${Object.entries(LATER_STATUSES)
  .map(([status, later]) => `when '${status}' then messages.status not in (${quoted(later)})`)
  .join(' ')} else 1 end`;

const EVENT_RECORDS = `insert into events (id, session_id, name, payload, occurred_at)
select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 from json_each(?) where true
on conflict do nothing returning id`;

// Ahead of the events' inserts, so "not stored yet" means before this batch: see pending-jobs.ts.
const NEW_JOBS = `insert into webhook_jobs (event_id, session_id)
select value ->> 0, value ->> 1 from json_each(?) where not exists (select 1 from events where events.id = value ->> 0)
on conflict do nothing`;

// json('…') fails on its text, so a session that changed since it was read fails the batch before it writes.
const UNCHANGED_SESSIONS = `select case when exists (
  select 1 from json_each(?) known left join sessions s on s.id = known.value ->> 0
  where s.id is null or s.connector_id is not (known.value ->> 1) or s.former_connectors is not (known.value ->> 2)
    or s.webhook_url is not (known.value ->> 3) or s.webhook_events is not (known.value ->> 4)
) then json('stale session rows') end`;

const PENDING_JOBS = `select event_id from webhook_jobs where event_id in (select value from json_each(?))`;

const MESSAGE_COLUMNS = 'id, session_id, direction, remote_jid, remote_phone, text, provider_message_id, type, media_id, status, created_at, updated_at';
const messageRows = (direction: 'in' | 'out') =>
  `select value ->> 0, value ->> 1, '${direction}', value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10 from json_each(?) where true`;
const OUTGOING_KEY = 'on conflict (session_id, direction, provider_message_id)';

const RECEIVED_MESSAGES = `insert into messages (${MESSAGE_COLUMNS}) ${messageRows('in')} on conflict do nothing`;
// message.sent and a receipt may reach the hub in either order: the first creates the row; message.sent
// adds the text, a receipt moves the status forward.
const SENT_MESSAGES = `insert into messages (${MESSAGE_COLUMNS}) ${messageRows('out')}
${OUTGOING_KEY} do update set text = excluded.text, type = excluded.type, media_id = excluded.media_id`;
const MESSAGE_STATUSES = `insert into messages (${MESSAGE_COLUMNS}) ${messageRows('out')}
${OUTGOING_KEY} do update set status = excluded.status, updated_at = excluded.updated_at where ${EARLIER}`;

/** A messages row as the statements take it, direction aside. */
export type MessageRow = [
  id: string,
  sessionId: string,
  remoteJid: string,
  remotePhone: string | null,
  text: string,
  providerMessageId: string,
  type: string,
  mediaId: string | null,
  status: string,
  createdAt: number,
  updatedAt: number,
];

export type EventRecord = [id: string, sessionId: string, name: string, payload: string, occurredAt: number];

const statement = (sql: string, rows: readonly unknown[]): InStatement => ({ sql, args: [JSON.stringify(rows)] });

export const unchangedSessions = (rows: readonly SessionRow[]) =>
  statement(UNCHANGED_SESSIONS, rows.map((r) => [r.id, r.connectorId, r.formerConnectors, r.webhookUrl, r.webhookEvents]));
export const eventRecords = (rows: readonly EventRecord[]) => statement(EVENT_RECORDS, rows);
export const newJobs = (rows: readonly [eventId: string, sessionId: string][]) => statement(NEW_JOBS, rows);
export const pendingJobs = (eventIds: readonly string[]) => statement(PENDING_JOBS, eventIds);
export const receivedMessages = (rows: readonly MessageRow[]) => statement(RECEIVED_MESSAGES, rows);
export const sentMessages = (rows: readonly MessageRow[]) => statement(SENT_MESSAGES, rows);
export const messageStatuses = (rows: readonly MessageRow[]) => statement(MESSAGE_STATUSES, rows);
