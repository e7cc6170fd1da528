// Webhook jobs on the queue and not yet finished, kept in Turso beside the events: a queue that lost its
// messages (the one-box service's queue lives in workerd's memory) is filled again from this record, so a
// restart never loses a delivery. A job is finished when delivered, given up on, or no longer wanted.
import { asc, gt, inArray } from 'drizzle-orm';
import { webhookJobs } from '../../shared/db/schema.ts';
import type { Db } from '../db/client.ts';
import type { WebhookJob } from './delivery.ts';

/** The Queues limit of messages per sendBatch. */
const PAGE = 100;

export interface WebhookQueueBatchPort {
  sendBatch(messages: Iterable<{ body: WebhookJob }>): Promise<unknown>;
}

/** Recorded before the jobs are queued: a job on the queue always has its row. */
export async function recordQueuedJobs(db: Db, jobs: readonly Pick<WebhookJob, 'eventId' | 'sessionId'>[]): Promise<void> {
  for (let i = 0; i < jobs.length; i += PAGE) {
    const page = jobs.slice(i, i + PAGE).map(({ eventId, sessionId }) => ({ eventId, sessionId }));
    await db.insert(webhookJobs).values(page).onConflictDoNothing();
  }
}

export async function finishJobs(db: Db, eventIds: readonly string[]): Promise<void> {
  for (let i = 0; i < eventIds.length; i += PAGE) await db.delete(webhookJobs).where(inArray(webhookJobs.eventId, eventIds.slice(i, i + PAGE)));
}

/** Queues every unfinished job again, oldest first; returns how many. A job still on the queue goes twice. */
export async function requeuePendingJobs(db: Db, queue: WebhookQueueBatchPort, origin: string | undefined): Promise<number> {
  let after = '';
  let count = 0;
  for (;;) {
    const page = await db
      .select({ eventId: webhookJobs.eventId, sessionId: webhookJobs.sessionId })
      .from(webhookJobs)
      .where(gt(webhookJobs.eventId, after))
      .orderBy(asc(webhookJobs.eventId))
      .limit(PAGE);
    if (page.length === 0) return count;
    await queue.sendBatch(page.map((job) => ({ body: { ...job, ...(origin ? { origin } : {}) } })));
    count += page.length;
    after = page[page.length - 1]!.eventId;
  }
}
