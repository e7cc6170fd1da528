// Webhook jobs on the queue and not yet finished, kept in Turso beside the events: a queue that lost its
// messages (the one-box service's queue lives in workerd's memory) is filled again from this record, so a
// restart never loses a delivery. A job is finished when delivered, given up on, or no longer wanted.
import { asc, gt, inArray } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { webhookJobs } from '../../shared/db/schema.ts';
import type { Db } from '../db/client.ts';
import type { WebhookJob } from './delivery.ts';

/** The Queues limit of messages per sendBatch. */
const PAGE = 100;

export interface WebhookQueueBatchPort {
  sendBatch(messages: Iterable<{ body: WebhookJob }>): Promise<unknown>;
}

/** The writes that record jobs, for a caller's own batch (the hub stores them with their events). */
export function queuedJobWrites(db: Db, jobs: readonly Pick<WebhookJob, 'eventId' | 'sessionId'>[]): BatchItem<'sqlite'>[] {
  const writes: BatchItem<'sqlite'>[] = [];
  for (let i = 0; i < jobs.length; i += PAGE) {
    writes.push(db.insert(webhookJobs).values(jobs.slice(i, i + PAGE).map(({ eventId, sessionId }) => ({ eventId, sessionId }))).onConflictDoNothing());
  }
  return writes;
}

/** Recorded before the jobs are queued: a job on the queue always has its row. */
export async function recordQueuedJobs(db: Db, jobs: readonly Pick<WebhookJob, 'eventId' | 'sessionId'>[]): Promise<void> {
  const [first, ...rest] = queuedJobWrites(db, jobs);
  if (first) await db.batch([first, ...rest]);
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
