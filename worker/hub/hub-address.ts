// Where each hub is: one Durable Object per connector, found by the connector's id. A socket dialled without
// an id (a connector of protocol 1) reaches a hub that belongs to no connector and can only refuse it.
import type { Hub } from './hub.ts';

/** The hub of no connector: protocol 1 connectors dial the bare path and are refused there with 4002. */
export const UNROUTED_HUB = 'unrouted';

/**
 * Carries the connector id the socket was dialled for, from the Worker (which builds the request anew, so no
 * client header passes) to the hub, which then welcomes only a hello proving that same id.
 */
export const DIALLED_CONNECTOR_HEADER = 'x-kabar-dialled-connector';

export function hubName(connectorId: string): string {
  return `connector:${connectorId}`;
}

export function connectorHub(hubs: DurableObjectNamespace<Hub>, connectorId: string): DurableObjectStub<Hub> {
  return hubs.get(hubs.idFromName(hubName(connectorId)));
}
