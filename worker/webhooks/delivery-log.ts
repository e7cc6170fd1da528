// The webhook delivery log in Turso: the attempts of a batch written in one round trip, and what it says
// about events already delivered (a retried job whose earlier attempt got through after all).
import { and, eq, inArray, max } from 'drizzle-orm';
import { webhookDeliveries } from '../../shared/db/schema.ts';
import type { Db } from '../db/client.ts';
import type { DeliveryRecord } from './delivery.ts';

/** Rows per INSERT: a delivery row binds 10 values, and SQLite allows a few hundred per statement safely. */
const ROWS_PER_INSERT = 50;

export async function recordDeliveries(db: Db, records: readonly DeliveryRecord[]): Promise<void> {
  const inserts = [];
  for (let i = 0; i < records.length; i += ROWS_PER_INSERT) inserts.push(db.insert(webhookDeliveries).values(records.slice(i, i + ROWS_PER_INSERT)));
  const [first, ...rest] = inserts;
  if (first) await db.batch([first, ...rest]);
}

/** When each of these events was last delivered (epoch ms), for those the log has a delivery of. */
export async function lastDelivered(db: Db, eventIds: readonly string[]): Promise<Map<string, number>> {
  if (eventIds.length === 0) return new Map();
  const rows = await db
    .select({ eventId: webhookDeliveries.eventId, at: max(webhookDeliveries.createdAt) })
    .from(webhookDeliveries)
    .where(and(inArray(webhookDeliveries.eventId, [...new Set(eventIds)]), eq(webhookDeliveries.outcome, 'delivered')))
    .groupBy(webhookDeliveries.eventId);
  return new Map(rows.flatMap((r) => (r.at === null ? [] : [[r.eventId, r.at] as const])));
}
