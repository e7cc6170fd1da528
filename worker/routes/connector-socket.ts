// The connector's WebSocket entry: routed to the hub of the connector id the connector states in the URL.
// Stating an id buys nothing: that hub still makes the socket prove the connector secret for that very id.
import { OpenAPIHono } from '@hono/zod-openapi';
import { ConnectorId } from '../../shared/protocol.ts';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { DIALLED_CONNECTOR_HEADER, UNROUTED_HUB, connectorHub } from '../hub/hub-address.ts';

export const connectorSocketRoutes = new OpenAPIHono<AppEnv>();

connectorSocketRoutes.get('/hub/connect', async (c) => {
  // Refuse anything that is not a WebSocket before it reaches the Durable Object. Only the upgrade itself
  // is passed on: the hub's fetch opens connector sockets, which must prove the secret, and nothing else.
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new ApiError('VALIDATION_FAILED', 'Expected a WebSocket upgrade');
  const stated = c.req.query('connector');
  if (stated === undefined) {
    const hub = c.env.HUB.get(c.env.HUB.idFromName(UNROUTED_HUB));
    return hub.fetch(new Request(c.req.url, { headers: { upgrade: 'websocket' } }));
  }
  const connectorId = ConnectorId.safeParse(stated);
  if (!connectorId.success) throw new ApiError('VALIDATION_FAILED', 'connector must be 1-64 of A-Z a-z 0-9 _ . -');
  const headers = { upgrade: 'websocket', [DIALLED_CONNECTOR_HEADER]: connectorId.data };
  return connectorHub(c.env.HUB, connectorId.data).fetch(new Request(c.req.url, { headers }));
});
