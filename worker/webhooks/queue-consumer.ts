// The Cloudflare Queues consumer for webhooks. A batch costs two reads (its events and sessions) and two
// writes (the claims on its jobs, sent alongside the reads, and its delivery log rows), whatever its size;
// each session's events go out in queue order, sessions side by side. Failures are retried with backoff by
// the queue itself; after the last retry the queue moves the message to the dead-letter queue, whose
// consumer logs it.
import { eq } from 'drizzle-orm';
import { sessions } from '../../shared/db/schema.ts';
import { readConfig, type Config } from '../config.ts';
import { createDb, type Db } from '../db/client.ts';
import type { Env } from '../env.ts';
import { UNROUTED_HUB, connectorHub } from '../hub/hub-address.ts';
import { attemptDelivery, loadJobs, recordDeadLetter, type Attempt, type DeliveryRecord, type WebhookJob } from './delivery.ts';
import { lastDelivered, recordDeliveries } from './delivery-log.ts';
import { claimJobs, finishJobs } from './pending-jobs.ts';
import { webhookRetryDelay } from './retry-delay.ts';

export const WEBHOOK_QUEUE = 'kabar-webhooks';
export const WEBHOOK_DEAD_LETTER_QUEUE = 'kabar-webhooks-dlq';

/**
 * How long the batch waits for one delivery. The queue hands out the next batch only when this one returns
 * (one at a time locally, and per consumer on Cloudflare), so a receiver that hangs would hold up every
 * other session's events for WEBHOOK_TIMEOUT_MS. Past this, the delivery finishes in the background and
 * logs itself, and its message comes back once it must have ended, to be skipped if it got through.
 */
export const DELIVERY_WAIT_MS = 1_000;

/** A claim outlives the delivery it covers by this much: the clocks of consumers and Turso differ a little. */
const CLAIM_SLACK_MS = 5_000;

type Outcome = 'delivered' | 'failed' | 'dead';
type Message = MessageBatch<WebhookJob>['messages'][number];

/** What a message claims its job by: kept by a copy queued again for it, so that copy may take it up. */
const claimOf = (message: Message) => message.body.claim ?? message.id;

/**
 * Tells the admin streams on each session's hub (its connector's), one call per hub; the deliveries themselves
 * are recorded already, so a hub that cannot be told is only logged.
 */
async function announce(env: Env, outcomes: readonly { job: WebhookJob; outcome: Outcome; connectorId: string | null | undefined }[]): Promise<void> {
  const byHub = new Map<string, { sessionId: string; eventId: string; outcome: Outcome }[]>();
  for (const { job, outcome, connectorId } of outcomes) {
    const key = connectorId ?? '';
    byHub.set(key, [...(byHub.get(key) ?? []), { sessionId: job.sessionId, eventId: job.eventId, outcome }]);
  }
  await Promise.all(
    [...byHub].map(async ([connectorId, deliveries]) => {
      try {
        const hub = connectorId ? connectorHub(env.HUB, connectorId) : env.HUB.get(env.HUB.idFromName(UNROUTED_HUB));
        await hub.deliveriesRecorded(deliveries);
      } catch (error) {
        console.warn('webhook consumer: could not tell the hub of deliveries', deliveries.map((d) => d.eventId), error);
      }
    }),
  );
}

const retryLater = (message: Message, config: Config) => message.retry({ delaySeconds: webhookRetryDelay(message.attempts, config.WEBHOOK_RETRY_BASE_SECONDS) });

async function consumeDeadLetters(batch: MessageBatch<WebhookJob>, env: Env, db: Db, config: Config): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await recordDeadLetter(db, message.body);
        await finishJobs(db, [message.body.eventId]);
        message.ack();
        const [row] = await db.select({ connectorId: sessions.connectorId }).from(sessions).where(eq(sessions.id, message.body.sessionId));
        await announce(env, [{ job: message.body, outcome: 'dead', connectorId: row?.connectorId }]);
      } catch (error) {
        console.error('webhook dead-letter consumer failed', message.body, error);
        retryLater(message, config);
      }
    }),
  );
}

export async function consumeWebhookBatch(batch: MessageBatch<WebhookJob>, env: Env, ctx: Pick<ExecutionContext, 'waitUntil'>): Promise<void> {
  const config = readConfig(env);
  const db = createDb(config);
  if (batch.queue.startsWith(WEBHOOK_DEAD_LETTER_QUEUE)) return consumeDeadLetters(batch, env, db, config);

  const bySession = new Map<string, Message[]>();
  for (const message of batch.messages) bySession.set(message.body.sessionId, [...(bySession.get(message.body.sessionId) ?? []), message]);
  let loaded: Awaited<ReturnType<typeof loadJobs>>;
  let delivered: Map<string, number>;
  let claimed: Set<string>;
  try {
    // Only a retried job can have been delivered already (an attempt that outlived its batch).
    const retried = batch.messages.filter((m) => m.attempts > 1).map((m) => m.body.eventId);
    [loaded, delivered, claimed] = await Promise.all([loadJobs(db, batch.messages.map((m) => m.body)), lastDelivered(db, retried), claimBatch(db, config, bySession)]);
  } catch (error) {
    // The database was unreachable: try again later, the events are safe in Turso.
    console.error('webhook consumer could not read or claim its batch', error);
    for (const message of batch.messages) retryLater(message, config);
    return;
  }

  const records: DeliveryRecord[] = [];
  const announced: [WebhookJob, Outcome][] = [];
  /** Jobs done with (delivered, or not to be delivered): their pending-job rows go (pending-jobs.ts). */
  const finished: string[] = [];
  /**
   * Messages not tried, each with the delay to queue it again after: their session's receiver was slow, or
   * another copy of their job is being delivered.
   */
  const untried: { message: Message; delaySeconds: number }[] = [];
  /** Long enough for a delivery under way to have ended, and not before a retry's backoff. */
  const afterDelivery = (message: Message) =>
    Math.max(Math.ceil((config.WEBHOOK_TIMEOUT_MS - DELIVERY_WAIT_MS) / 1000) + 1, webhookRetryDelay(message.attempts, config.WEBHOOK_RETRY_BASE_SECONDS));

  const decide = (message: Message, attempt: Attempt) => {
    if (attempt.record) records.push(attempt.record);
    if (attempt.outcome === 'failed') retryLater(message, config);
    else {
      finished.push(message.body.eventId);
      message.ack();
    }
    if (attempt.outcome !== 'skipped') announced.push([message.body, attempt.outcome]);
  };

  /** Events of this batch's jobs tried or being tried: a second copy of a job in one batch is skipped. */
  const taken = new Set<string>();

  /** One session's messages in queue order; a delivery slower than DELIVERY_WAIT_MS sets the rest aside. */
  const deliverSession = async (messages: Message[]) => {
    for (const [index, message] of messages.entries()) {
      const since = delivered.get(message.body.eventId);
      if (!message.body.event && taken.has(message.body.eventId)) {
        // Not finished here: the copy being tried may yet fail and be retried.
        message.ack();
        continue;
      }
      taken.add(message.body.eventId);
      if (since !== undefined && since >= message.timestamp.getTime()) {
        decide(message, { outcome: 'skipped', record: null });
        continue;
      }
      if (loaded.events.get(message.body.eventId)?.pending && !claimed.has(message.body.eventId)) {
        // Another copy of this job is being delivered: this one comes back once that must have ended, to
        // find the job finished, or claimable if that copy failed.
        untried.push({ message, delaySeconds: afterDelivery(message) });
        continue;
      }
      const attempt = attemptDelivery(db, config, message.body, message.attempts, loaded.events.get(message.body.eventId), loaded.sessions.get(message.body.sessionId));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const slow = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), DELIVERY_WAIT_MS)));
      let first: Attempt | 'slow';
      try {
        first = await Promise.race([attempt, slow]);
      } catch (error) {
        console.error('webhook delivery failed', message.body, error);
        retryLater(message, config);
        continue;
      } finally {
        clearTimeout(timer);
      }
      if (first !== 'slow') {
        decide(message, first);
        continue;
      }
      // Comes back once the delivery under way must have ended, not before its backoff, to be skipped if it
      // got through; the session's later messages wait behind it, and it logs itself when it ends.
      const delaySeconds = afterDelivery(message);
      message.retry({ delaySeconds });
      untried.push(...messages.slice(index + 1).map((m) => ({ message: m, delaySeconds })));
      ctx.waitUntil(
        attempt
          .then(async (late) => {
            if (late.record) await recordDeliveries(db, [late.record]);
            if (late.outcome !== 'failed') await finishJobs(db, [message.body.eventId]);
            if (late.outcome !== 'skipped') await announce(env, [{ job: message.body, outcome: late.outcome, connectorId: loaded.sessions.get(message.body.sessionId)?.connectorId }]);
          })
          .catch((error) => console.error('webhook consumer: a late delivery failed or could not be logged', message.body, error)),
      );
      return;
    }
  };

  await Promise.all([...bySession.values()].map(deliverSession));
  await requeue(untried, env);
  try {
    await Promise.all([recordDeliveries(db, records), finishJobs(db, finished)]);
  } catch (error) {
    // Delivered but not logged: the log misses these attempts (and an unfinished job is delivered again after a
    // one-box restart, deduplicable by id); the receivers have them all the same.
    console.error('webhook consumer could not write its delivery log', error);
  }
  if (announced.length > 0) ctx.waitUntil(announce(env, announced.map(([job, outcome]) => ({ job, outcome, connectorId: loaded.sessions.get(job.sessionId)?.connectorId }))));
}

/**
 * Claims the jobs of a batch, alongside its reads (a finished job has no row left to claim), each for as long
 * as its delivery can take: a session's messages go one after another, each given DELIVERY_WAIT_MS before the
 * rest are set aside, so a later one starts later. A job the batch holds twice is claimed once; its second
 * copy is not tried here (`taken`).
 */
async function claimBatch(db: Db, config: Config, bySession: Map<string, Message[]>): Promise<Set<string>> {
  const now = Date.now();
  const claims: { eventId: string; claim: string; until: number }[] = [];
  const seen = new Set<string>();
  for (const messages of bySession.values()) {
    for (const [index, message] of messages.entries()) {
      // A QR's job has no row; a finished job's row is gone and nothing is claimed.
      if (message.body.event || seen.has(message.body.eventId)) continue;
      seen.add(message.body.eventId);
      claims.push({ eventId: message.body.eventId, claim: claimOf(message), until: now + index * DELIVERY_WAIT_MS + config.WEBHOOK_TIMEOUT_MS + CLAIM_SLACK_MS });
    }
  }
  return claimJobs(db, claims, now);
}

/**
 * Queues the messages not tried (a slow receiver held them up, or another copy of their job was being
 * delivered) as fresh messages, after their delay, so waiting on another delivery costs them none of their
 * retries; each keeps its claim. Acked only once queued, else retried instead.
 */
async function requeue(untried: { message: Message; delaySeconds: number }[], env: Env): Promise<void> {
  const byDelay = new Map<number, Message[]>();
  for (const { message, delaySeconds } of untried) byDelay.set(delaySeconds, [...(byDelay.get(delaySeconds) ?? []), message]);
  for (const [delaySeconds, messages] of byDelay) {
    try {
      await env.WEBHOOKS.sendBatch(messages.map((m) => ({ body: { ...m.body, claim: claimOf(m) } })), { delaySeconds });
      for (const message of messages) message.ack();
    } catch (error) {
      console.error('webhook consumer could not queue again the deliveries it set aside', error);
      for (const message of messages) message.retry({ delaySeconds });
    }
  }
}
