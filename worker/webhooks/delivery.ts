// Delivers one stored event to its session's webhook, signed, and says what to log of the attempt. Knows
// nothing of queues: the consumer decides about retries from the outcome and writes the log.
import { eq, getTableColumns, inArray } from 'drizzle-orm';
import { events, sessions, webhookDeliveries, webhookJobs } from '../../shared/db/schema.ts';
import { SessionEvent } from '../../shared/protocol.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { toEnvelope } from '../events/envelope.ts';
import { withMediaUrl } from '../events/media-url.ts';
import { signBodyOnly, signWebhook } from './signature.ts';
import { signingSecret } from './signing-secret.ts';
import { webhookTarget } from './subscription.ts';
import { webhookTargetProblem } from './target-address.ts';

export interface WebhookJob {
  eventId: string;
  sessionId: string;
  /** What the stored row leaves out (a QR is not kept in the event log), carried by the job instead. */
  event?: SessionEvent;
  /** Where the hub was reached, for the links of received media when PUBLIC_URL is unset. */
  origin?: string;
  /** The claim on the job of the message this one was queued again for (queue-consumer.ts). */
  claim?: string;
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'skipped';

const encoder = new TextEncoder();

/** What the owner's server said, kept short: it is for a human reading the delivery log. */
function describeFailure(status: number | null, location: string | null, error: unknown): string {
  if (status !== null && status >= 300 && status < 400) return `HTTP ${status} redirect${location ? ` to ${location.slice(0, 200)}` : ''} not followed: set the final URL as the webhook`;
  if (status !== null) return `HTTP ${status}`;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  return error instanceof Error ? error.message.slice(0, 200) : 'request failed';
}

export type DeliveryConfig = Pick<Config, 'WEBHOOK_URL' | 'WEBHOOK_SECRET' | 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOK_ALLOW_PRIVATE_TARGETS' | 'CONNECTOR_SECRET' | 'MEDIA_URL_TTL_SECONDS' | 'PUBLIC_URL'>;

/** A row of the delivery log, written by whoever collects the attempts (one batch for many). */
export type DeliveryRecord = typeof webhookDeliveries.$inferInsert & { outcome: 'delivered' | 'failed' };

/** What an attempt came to: its outcome, and the log row it leaves (none when it was skipped unlogged). */
export type Attempt = { outcome: DeliveryOutcome; record: DeliveryRecord | null };

type EventRow = typeof events.$inferSelect;
type SessionRow = typeof sessions.$inferSelect;

/** A stored event a job names, and whether that job is still pending (pending-jobs.ts). */
export type JobEvent = EventRow & { pending: boolean };

/** The stored events and sessions a batch of jobs names, read in two queries whatever the batch's size. */
export async function loadJobs(db: Db, jobs: readonly WebhookJob[]): Promise<{ events: Map<string, JobEvent>; sessions: Map<string, SessionRow> }> {
  const eventIds = [...new Set(jobs.map((j) => j.eventId))];
  const sessionIds = [...new Set(jobs.map((j) => j.sessionId))];
  const [eventRows, sessionRows] = await Promise.all([
    eventIds.length
      ? db
          .select({ ...getTableColumns(events), pendingJob: webhookJobs.eventId })
          .from(events)
          .leftJoin(webhookJobs, eq(webhookJobs.eventId, events.id))
          .where(inArray(events.id, eventIds))
      : [],
    sessionIds.length ? db.select().from(sessions).where(inArray(sessions.id, sessionIds)) : [],
  ]);
  return {
    events: new Map(eventRows.map(({ pendingJob, ...row }) => [row.id, { ...row, pending: pendingJob !== null }])),
    sessions: new Map(sessionRows.map((r) => [r.id, r])),
  };
}

/**
 * Posts one stored event to its session's webhook, signed, and says what came of it with the log row to
 * write; the caller writes the rows (in one batch) and decides about retries from the outcome.
 */
export async function attemptDelivery(
  db: Db,
  config: DeliveryConfig,
  job: WebhookJob,
  attempt: number,
  row: JobEvent | undefined,
  session: SessionRow | undefined,
): Promise<Attempt> {
  const skipped: Attempt = { outcome: 'skipped', record: null };
  if (!row || !session) return skipped;
  // A job names both; only the event's own session may receive it, whatever put the job on the queue.
  if (row.sessionId !== job.sessionId) {
    console.warn(`webhook job dropped: event ${row.id} belongs to session ${row.sessionId}, not ${job.sessionId}`);
    return skipped;
  }
  // A copy of a job already finished (delivered or given up on by another copy): a QR's job has no row to say.
  if (!job.event && !row.pending) return skipped;
  // Checked again at delivery: the settings may have changed since the event was queued.
  const url = webhookTarget(session, config.WEBHOOK_URL, row.name);
  if (!url) return skipped;
  const event = SessionEvent.safeParse(job.event ?? JSON.parse(row.payload));
  if (!event.success) return skipped;

  const started = Date.now();
  const record = (outcome: 'delivered' | 'failed', statusCode: number | null, error: string | null): DeliveryRecord => ({
    id: crypto.randomUUID(),
    eventId: row.id,
    sessionId: row.sessionId,
    attempt,
    url,
    outcome,
    statusCode,
    error,
    durationMs: Date.now() - started,
  });
  // A URL stored before the rule, or a WEBHOOK_URL the flag allowed then, is held to it now. Retrying
  // cannot help, so the event is given up on at once.
  const refused = webhookTargetProblem(url, config.WEBHOOK_ALLOW_PRIVATE_TARGETS);
  if (refused) {
    console.warn('webhook refused: target is not public', { eventId: row.id, url });
    return { outcome: 'skipped', record: record('failed', null, `refused: the URL ${refused}`) };
  }

  // A fresh link per attempt: a retry hours later still carries one that works for MEDIA_URL_TTL_SECONDS.
  const outgoing = await withMediaUrl(event.data, config, config.PUBLIC_URL ?? job.origin, Date.now());
  const body = JSON.stringify(toEnvelope(row.id, row.sessionId, row.occurredAt, outgoing));
  const timestamp = Math.floor(Date.now() / 1000);
  const secret = await signingSecret(db, session, config.WEBHOOK_SECRET);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'kabar-webhooks/1',
    'x-kabar-event-id': row.id,
    'x-kabar-event': row.name,
    'x-kabar-timestamp': String(timestamp),
    'x-kabar-signature': await signWebhook(secret, timestamp, body),
    'x-hub-signature-256': await signBodyOnly(secret, body),
  };
  if (session.webhookToken) headers.authorization = `Bearer ${session.webhookToken}`;

  let status: number | null = null;
  let location: string | null = null;
  let error: unknown;
  try {
    // A byte body has a known length, so it goes out with Content-Length, never chunked: PHP behind
    // nginx/FPM reads a chunked body as empty. Redirects are not followed: a public URL could otherwise
    // send the request on to a private one.
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: encoder.encode(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(config.WEBHOOK_TIMEOUT_MS),
    });
    status = response.status;
    location = response.headers.get('location');
    await response.body?.cancel();
  } catch (caught) {
    error = caught;
  }
  const delivered = status !== null && status >= 200 && status < 300;
  return delivered
    ? { outcome: 'delivered', record: record('delivered', status, null) }
    : { outcome: 'failed', record: record('failed', status, describeFailure(status, location, error)) };
}

/** Out of retries: the event stays in Turso; the log says it was given up on. */
export async function recordDeadLetter(db: Db, job: WebhookJob): Promise<void> {
  const session = await db.query.sessions.findFirst({ where: eq(sessions.id, job.sessionId) });
  if (!session) return;
  const tries = await db.$count(webhookDeliveries, eq(webhookDeliveries.eventId, job.eventId));
  await db.insert(webhookDeliveries).values({
    id: crypto.randomUUID(),
    eventId: job.eventId,
    sessionId: job.sessionId,
    attempt: tries,
    url: session.webhookUrl ?? '',
    outcome: 'dead',
    error: `gave up after ${tries} attempts`,
  });
}
