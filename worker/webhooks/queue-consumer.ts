// The Cloudflare Queues consumer for webhooks: one delivery per message, retried with backoff by the queue
// itself; after the last retry the queue moves the message to the dead-letter queue, whose consumer logs it.
import { eq } from 'drizzle-orm';
import { sessions } from '../../shared/db/schema.ts';
import { readConfig } from '../config.ts';
import { UNROUTED_HUB, connectorHub } from '../hub/hub-address.ts';
import { createDb } from '../db/client.ts';
import type { Env } from '../env.ts';
import { deliverWebhook, recordDeadLetter, type WebhookJob } from './delivery.ts';
import { finishJob } from './pending-jobs.ts';
import { webhookRetryDelay } from './retry-delay.ts';

export const WEBHOOK_QUEUE = 'kabar-webhooks';
export const WEBHOOK_DEAD_LETTER_QUEUE = 'kabar-webhooks-dlq';

/** Tells the admin streams; the delivery itself is recorded already, so a hub that cannot be told is only logged. */
async function announce(env: Env, job: WebhookJob, outcome: 'delivered' | 'failed' | 'dead'): Promise<void> {
  try {
    const [row] = await createDb(readConfig(env)).select({ connectorId: sessions.connectorId }).from(sessions).where(eq(sessions.id, job.sessionId));
    const hub = row?.connectorId ? connectorHub(env.HUB, row.connectorId) : env.HUB.get(env.HUB.idFromName(UNROUTED_HUB));
    await hub.deliveryRecorded(job.sessionId, job.eventId, outcome);
  } catch (error) {
    console.warn('webhook consumer: could not tell the hub of a delivery', job.eventId, error);
  }
}

export async function consumeWebhookBatch(batch: MessageBatch<WebhookJob>, env: Env): Promise<void> {
  const config = readConfig(env);
  const db = createDb(config);
  const dead = batch.queue.startsWith(WEBHOOK_DEAD_LETTER_QUEUE);
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        if (dead) {
          await recordDeadLetter(db, message.body);
          await finishJob(db, message.body.eventId);
          message.ack();
          await announce(env, message.body, 'dead');
          return;
        }
        const outcome = await deliverWebhook(db, config, message.body, message.attempts);
        if (outcome === 'failed') message.retry({ delaySeconds: webhookRetryDelay(message.attempts, config.WEBHOOK_RETRY_BASE_SECONDS) });
        else {
          await finishJob(db, message.body.eventId);
          message.ack();
        }
        if (outcome !== 'skipped') await announce(env, message.body, outcome);
      } catch (error) {
        // The database was unreachable: try again later, the event is safe in Turso.
        console.error('webhook consumer failed', message.body, error);
        message.retry({ delaySeconds: webhookRetryDelay(message.attempts, config.WEBHOOK_RETRY_BASE_SECONDS) });
      }
    }),
  );
}
