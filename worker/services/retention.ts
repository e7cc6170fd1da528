// How long the gateway keeps what it records: stored events and webhook delivery attempts older than their
// retention (EVENT_RETENTION_DAYS, WEBHOOK_DELIVERY_RETENTION_DAYS) are deleted by the scheduled handler, so
// the database does not grow for ever. Messages and sessions are not touched.
import { lt } from 'drizzle-orm';
import { events, webhookDeliveries } from '../../shared/db/schema.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';

const DAY_MS = 86_400_000;

export interface Pruned {
  events: number;
  webhookDeliveries: number;
}

/** Ages count from when a row was stored, not from the connector's clock. */
export async function pruneExpired(db: Db, config: Pick<Config, 'EVENT_RETENTION_DAYS' | 'WEBHOOK_DELIVERY_RETENTION_DAYS'>, now: number): Promise<Pruned> {
  const [prunedEvents, prunedDeliveries] = await Promise.all([
    db.delete(events).where(lt(events.createdAt, now - config.EVENT_RETENTION_DAYS * DAY_MS)),
    db.delete(webhookDeliveries).where(lt(webhookDeliveries.createdAt, now - config.WEBHOOK_DELIVERY_RETENTION_DAYS * DAY_MS)),
  ]);
  return { events: prunedEvents.rowsAffected, webhookDeliveries: prunedDeliveries.rowsAffected };
}
