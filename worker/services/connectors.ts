// The connectors the hub holds right now, with the sessions assigned to each and how many are WORKING:
// the load an operator balances by adding connectors.
import { isNotNull } from 'drizzle-orm';
import { sessions } from '../../shared/db/schema.ts';
import type { Services } from './ports.ts';

export interface ConnectorLoad {
  connectorId: string;
  attached: boolean;
  /** The ids of the sessions assigned to it. */
  sessions: string[];
  working: number;
}

/**
 * Every attached connector, and every connector sessions are still assigned to while it is away (they wait
 * for it, or move to another connector holding their login): both are the operator's concern.
 */
export async function listConnectors(s: Services): Promise<ConnectorLoad[]> {
  const [attached, rows] = await Promise.all([
    s.hub.attachedConnectors(),
    s.db.select({ id: sessions.id, connectorId: sessions.connectorId, status: sessions.status }).from(sessions).where(isNotNull(sessions.connectorId)),
  ]);
  const byId = new Map<string, ConnectorLoad>();
  const entry = (connectorId: string) => {
    let found = byId.get(connectorId);
    if (!found) byId.set(connectorId, (found = { connectorId, attached: attached.includes(connectorId), sessions: [], working: 0 }));
    return found;
  };
  for (const id of attached) entry(id);
  for (const row of rows) {
    const e = entry(row.connectorId!);
    e.sessions.push(row.id);
    if (row.status === 'WORKING') e.working += 1;
  }
  return [...byId.values()].sort((a, b) => Number(b.attached) - Number(a.attached) || a.connectorId.localeCompare(b.connectorId));
}
