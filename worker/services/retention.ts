// How long the gateway keeps what it records: stored events and webhook delivery attempts older than their
// retention (EVENT_RETENTION_DAYS, WEBHOOK_DELIVERY_RETENTION_DAYS) are deleted by the scheduled handler, so
// the database does not grow for ever; media files and their rows after MEDIA_RETENTION_DAYS. Messages and
// sessions are not touched (a message keeps naming its media id; the file answers 404 once pruned).
import { lt } from 'drizzle-orm';
import { events, media, webhookDeliveries } from '../../shared/db/schema.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { sweepBucket } from '../media/bucket-sweep.ts';

const DAY_MS = 86_400_000;

export interface Pruned {
  events: number;
  webhookDeliveries: number;
  mediaFiles: number;
}

/**
 * Files older than the cutoff, by the createdAt the Worker stored with them (R2's own upload time when
 * absent). The bucket is swept itself, not through the rows, so a file whose row went with its session is
 * pruned too.
 */
function pruneMediaFiles(bucket: R2Bucket, cutoff: number): Promise<number> {
  return sweepBucket(bucket, (o) => Number(o.customMetadata?.createdAt ?? o.uploaded.getTime()) < cutoff, { include: ['customMetadata'] });
}

/** Ages count from when a row was stored, not from the connector's clock. */
export async function pruneExpired(
  db: Db,
  bucket: R2Bucket,
  config: Pick<Config, 'EVENT_RETENTION_DAYS' | 'WEBHOOK_DELIVERY_RETENTION_DAYS' | 'MEDIA_RETENTION_DAYS'>,
  now: number,
): Promise<Pruned> {
  const mediaCutoff = now - config.MEDIA_RETENTION_DAYS * DAY_MS;
  const [prunedEvents, prunedDeliveries, mediaFiles] = await Promise.all([
    db.delete(events).where(lt(events.createdAt, now - config.EVENT_RETENTION_DAYS * DAY_MS)),
    db.delete(webhookDeliveries).where(lt(webhookDeliveries.createdAt, now - config.WEBHOOK_DELIVERY_RETENTION_DAYS * DAY_MS)),
    pruneMediaFiles(bucket, mediaCutoff),
  ]);
  // Rows after their files: a row never names bytes that are gone for longer than this run.
  await db.delete(media).where(lt(media.createdAt, mediaCutoff));
  return { events: prunedEvents.rowsAffected, webhookDeliveries: prunedDeliveries.rowsAffected, mediaFiles };
}
