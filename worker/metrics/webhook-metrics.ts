// Webhook deliveries from their records (webhook_deliveries): attempts by outcome, the lag from an event being
// stored to its delivery, and the events waiting for a retry, the part of the queue's depth that can be known:
// Cloudflare Queues tell a Worker nothing of their backlog.
import { sql } from 'drizzle-orm';
import type { Services } from '../services/ports.ts';
import { histogramSamples, type MetricFamily } from './exposition.ts';

const HOUR_MS = 3_600_000;
/** Seconds: a delivery on the first try lands under a second; retries back off up to an hour apart. */
export const DELIVERY_LAG_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600];
const OUTCOMES = ['delivered', 'failed', 'dead'] as const;

type OutcomeRow = { outcome: string; total: number; recent: number };
type LagRow = { n: number; total_ms: number | null; [bucket: `b${number}`]: number | null };

export async function webhookMetrics(s: Services, now: number): Promise<MetricFamily[]> {
  const since = now - HOUR_MS;
  const lag = sql`(d.created_at - e.created_at)`;
  const buckets = sql.join(
    DELIVERY_LAG_BUCKETS.map((le, i) => sql`sum(case when ${lag} <= ${le * 1000} then 1 else 0 end) as ${sql.raw(`b${i}`)}`),
    sql`, `,
  );
  const [outcomes, lags, retrying] = await Promise.all([
    s.db.all<OutcomeRow>(sql`select outcome, count(*) as total, sum(case when created_at >= ${since} then 1 else 0 end) as recent from webhook_deliveries group by outcome`),
    s.db.all<LagRow>(sql`select count(*) as n, sum(${lag}) as total_ms, ${buckets}
      from webhook_deliveries d join events e on e.id = d.event_id
      where d.outcome = 'delivered' and d.created_at >= ${since}`),
    // Failed and neither delivered nor dead yet: on the queue for a retry. A target refused as private is not retried.
    s.db.all<{ n: number }>(sql`select count(*) as n from (
      select event_id from webhook_deliveries group by event_id
      having sum(outcome = 'failed' and coalesce(error, '') not like 'refused:%') > 0 and sum(outcome in ('delivered', 'dead')) = 0)`),
  ]);
  const of = (outcome: string) => outcomes.find((o) => o.outcome === outcome);
  const row = lags[0];
  const n = Number(row?.n ?? 0);
  return [
    {
      name: 'kabar_webhook_deliveries',
      help: 'Webhook delivery attempts in the delivery log, by outcome (delivered, failed: to be retried, dead: out of retries); the log is pruned after WEBHOOK_DELIVERY_RETENTION_DAYS, so this can fall',
      type: 'gauge',
      samples: OUTCOMES.map((outcome) => ({ labels: { outcome }, value: Number(of(outcome)?.total ?? 0) })),
    },
    {
      name: 'kabar_webhook_deliveries_last_hour',
      help: 'Webhook delivery attempts recorded in the last hour, by outcome',
      type: 'gauge',
      samples: OUTCOMES.map((outcome) => ({ labels: { outcome }, value: Number(of(outcome)?.recent ?? 0) })),
    },
    {
      name: 'kabar_webhook_delivery_lag_seconds',
      help: 'From an event being stored to its webhook delivered (retries included), over deliveries in the last hour',
      type: 'histogram',
      samples: histogramSamples(
        DELIVERY_LAG_BUCKETS,
        DELIVERY_LAG_BUCKETS.map((_, i) => Number(row?.[`b${i}`] ?? 0)),
        n,
        Number(row?.total_ms ?? 0) / 1000,
      ),
    },
    {
      name: 'kabar_webhook_events_retrying',
      help: 'Events whose webhook failed and waits on the queue for a retry (neither delivered nor dead yet)',
      type: 'gauge',
      samples: [{ value: Number(retrying[0]?.n ?? 0) }],
    },
  ];
}
