// Replaying a webhook delivery the gateway gave up on (dead-lettered) or that failed: the stored event is
// put on the webhook queue again, and the consumer delivers it to the session's current webhook, signed.
import { desc, eq } from 'drizzle-orm';
import { events, webhookDeliveries } from '../../shared/db/schema.ts';
import { ApiError } from '../errors.ts';
import type { WebhookJob } from '../webhooks/delivery.ts';
import { recordQueuedJobs } from '../webhooks/pending-jobs.ts';
import type { Services } from './ports.ts';

export interface WebhookQueuePort {
  send(job: WebhookJob): Promise<unknown>;
}

export async function replayDelivery(s: Services, queue: WebhookQueuePort, eventId: string): Promise<{ sessionId: string }> {
  const event = await s.db.query.events.findFirst({
    columns: { id: true, sessionId: true },
    where: eq(events.id, eventId),
  });
  if (!event) throw new ApiError('NOT_FOUND', `No stored event ${eventId}`);
  const [latest] = await s.db
    .select({ outcome: webhookDeliveries.outcome })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.eventId, eventId))
    .orderBy(desc(webhookDeliveries.createdAt))
    .limit(1);
  if (!latest) throw new ApiError('NOT_FOUND', `Event ${eventId} has no delivery to replay`);
  // A delivered event would arrive twice; the owner's server dedupes by event id, but need not be asked to.
  if (latest.outcome === 'delivered') throw new ApiError('ALREADY_DELIVERED', `Event ${eventId} was delivered; only a failed or dead delivery is replayed`);
  await recordQueuedJobs(s.db, [{ eventId, sessionId: event.sessionId }]);
  await queue.send({ eventId, sessionId: event.sessionId });
  return { sessionId: event.sessionId };
}
