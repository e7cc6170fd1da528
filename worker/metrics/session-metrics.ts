// Sessions by status and reason (Turso's record, read as the API reads it: a session whose connector is not
// attached is CONNECTOR_OFFLINE) and the connectors with their load (services/connectors.ts, through HubPort).
import { count, sql } from 'drizzle-orm';
import { sessions } from '../../shared/db/schema.ts';
import type { SessionStatus } from '../../shared/status.ts';
import { isConnectorOffline } from '../services/connector-offline.ts';
import { listConnectors } from '../services/connectors.ts';
import type { Services } from '../services/ports.ts';
import type { MetricFamily } from './exposition.ts';

export async function sessionMetrics(s: Services): Promise<MetricFamily[]> {
  const [connectors, groups] = await Promise.all([
    listConnectors(s),
    s.db
      .select({
        status: sessions.status,
        reason: sql<string | null>`json_extract(${sessions.statusReason}, '$.code')`,
        connectorId: sessions.connectorId,
        n: count(),
      })
      .from(sessions)
      .groupBy(sessions.status, sql`2`, sessions.connectorId),
  ]);
  const attached = new Set(connectors.filter((c) => c.attached).map((c) => c.connectorId));
  const bySessionLabels = new Map<string, { status: string; reason: string; n: number }>();
  for (const group of groups) {
    const status = group.status as SessionStatus;
    const offline = isConnectorOffline(status, group.connectorId !== null && attached.has(group.connectorId));
    const reason = offline ? 'CONNECTOR_OFFLINE' : status === 'WORKING' ? 'NONE' : (group.reason ?? 'NONE');
    const key = `${status}\n${reason}`;
    const entry = bySessionLabels.get(key) ?? { status, reason, n: 0 };
    entry.n += group.n;
    bySessionLabels.set(key, entry);
  }
  return [
    {
      name: 'kabar_sessions',
      help: 'Sessions by status and the reason code of that status (NONE when WORKING; CONNECTOR_OFFLINE when no connector holding it is attached)',
      type: 'gauge',
      samples: [...bySessionLabels.values()].map(({ status, reason, n }) => ({ labels: { status, reason }, value: n })),
    },
    {
      name: 'kabar_hub_connector_attached',
      help: '1 for a connector attached to the hub now, 0 for one that sessions are still assigned to while it is away',
      type: 'gauge',
      samples: connectors.map((c) => ({ labels: { connector: c.connectorId }, value: c.attached ? 1 : 0 })),
    },
    {
      name: 'kabar_hub_connector_sessions',
      help: 'Sessions assigned to each connector',
      type: 'gauge',
      samples: connectors.map((c) => ({ labels: { connector: c.connectorId }, value: c.sessions.length })),
    },
    {
      name: 'kabar_hub_connector_working_sessions',
      help: 'Sessions assigned to each connector that are WORKING',
      type: 'gauge',
      samples: connectors.map((c) => ({ labels: { connector: c.connectorId }, value: c.working })),
    },
  ];
}
