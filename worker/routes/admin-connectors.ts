// The connectors the hub holds (admin token): who is attached, which sessions each runs and its load.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { listConnectors } from '../services/connectors.ts';
import { throwOnInvalid } from '../validation.ts';
import { errors, json } from './openapi-responses.ts';

const Connector = z
  .object({
    connectorId: z.string(),
    attached: z.boolean().openapi({ description: 'Attached to the hub now; false: sessions are still assigned to it while it is away' }),
    sessions: z.array(z.string()).openapi({ description: 'The ids of the sessions assigned to it' }),
    working: z.number().int().openapi({ description: 'How many of them are WORKING' }),
  })
  .openapi('Connector', { example: { connectorId: 'vps-1', attached: true, sessions: ['toko-1', 'toko-2'], working: 1 } });

const listRoute = createRoute({
  method: 'get',
  path: '/api/connectors',
  tags: ['Admin: connectors'],
  summary: 'Connectors attached to the hub (and those sessions wait for), their sessions and load',
  security: [{ adminToken: [] }],
  middleware: [adminAuth('other')] as const,
  responses: { 200: json(z.object({ success: z.literal(true), connectors: z.array(Connector) }), 'Attached connectors first'), ...errors(401, 403, 429) },
});

export const adminConnectorRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

adminConnectorRoutes.openapi(listRoute, async (c) => c.json({ success: true as const, connectors: await listConnectors(c.var.services) }, 200));
