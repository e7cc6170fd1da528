// Webhook jobs on the queue and not yet finished, kept in Turso beside the events: a queue that lost its
// messages (the one-box service's queue lives in workerd's memory) is filled again from this record, so a
// restart never loses a delivery. A job is finished when delivered, given up on, or no longer wanted.
import { and, asc, eq, gt, inArray, isNull, lte, or } from 'drizzle-orm';
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

/**
 * Claims pending jobs for the queue messages about to deliver them, each until its `until` (epoch ms); returns the
 * events claimed. A job another copy holds (a claim of another message, not yet run out) is not claimed, nor
 * a finished one. One batch, whatever the number of jobs.
 */
export async function claimJobs(db: Db, claims: readonly { eventId: string; claim: string; until: number }[], now: number): Promise<Set<string>> {
  const [first, ...rest] = claims.map(({ eventId, claim, until }) =>
    db
      .update(webhookJobs)
      .set({ claim, claimedUntil: until })
      .where(and(eq(webhookJobs.eventId, eventId), or(isNull(webhookJobs.claim), eq(webhookJobs.claim, claim), lte(webhookJobs.claimedUntil, now))))
      .returning({ eventId: webhookJobs.eventId }),
  );
  if (!first) return new Set();
  const results = await db.batch([first, ...rest]);
  return new Set(results.flatMap((rows) => rows.map((r) => r.eventId)));
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
