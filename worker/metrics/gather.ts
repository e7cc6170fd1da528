// Everything /api/metrics shows, gathered at scrape time. This is the place for more of it: the durable
// outbound queue (wip/queue) and connector leases (wip/failover) add their own function to METRIC_SOURCES.
import type { Services } from '../services/ports.ts';
import type { MetricFamily } from './exposition.ts';
import { messageMetrics } from './message-metrics.ts';
import { sessionMetrics } from './session-metrics.ts';
import { webhookMetrics } from './webhook-metrics.ts';

export type MetricSource = (s: Services, now: number) => Promise<MetricFamily[]>;

export const METRIC_SOURCES: readonly MetricSource[] = [sessionMetrics, messageMetrics, webhookMetrics];

export async function gatherMetrics(s: Services, now: number, sources: readonly MetricSource[] = METRIC_SOURCES): Promise<MetricFamily[]> {
  return (await Promise.all(sources.map((source) => source(s, now)))).flat();
}
