// The connectors the hub holds (admin token): who is attached, which sessions each runs and its load; and
// moving sessions between them by hand (drain, a stopped connector's sessions).
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { SessionIdSchema } from '../schemas.ts';
import { listConnectors } from '../services/connectors.ts';
import { drainConnector, moveSession } from '../services/session-moves.ts';
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

const ConnectorId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);

const Moved = z
  .object({
    sessionId: z.string(),
    from: z.string().nullable().openapi({ description: 'The connector it ran on; null if none held it' }),
    to: z.string(),
    status: z.string().openapi({ description: 'Its status on the new connector when the move was done' }),
  })
  .openapi('MovedSession');

const drainRoute = createRoute({
  method: 'post',
  path: '/api/connectors/{connectorId}/drain',
  tags: ['Admin: connectors'],
  summary: "Move every session of a connector to the others, one at a time, each WORKING again before the next",
  description:
    'For taking a connector down without a gap: each session is released on this connector (socket closed, login kept), ' +
    'started on the least loaded other attached connector with its login from the shared store, and waited for until WORKING. ' +
    'Nothing is unlinked. A session that does not come back WORKING in time stops the drain with CONNECTOR_TIMEOUT.',
  security: [{ adminToken: [] }],
  middleware: [adminAuth('other')] as const,
  request: { params: z.object({ connectorId: ConnectorId.openapi({ param: { name: 'connectorId', in: 'path' }, example: 'vps-1' }) }) },
  responses: {
    200: json(z.object({ success: z.literal(true), moved: z.array(Moved) }), 'Every session moved, in order'),
    ...errors(400, 401, 403, 409, 429, 503, 504),
  },
});

const moveRoute = createRoute({
  method: 'post',
  path: '/api/sessions/{sessionId}/move',
  tags: ['Admin: connectors'],
  summary: 'Move one session to another attached connector, keeping its login',
  description:
    'Released on its connector first if that one is attached; a connector that is away must have let its lease run out ' +
    '(CONNECTOR_LEASE_HELD otherwise), so the session never runs on two at once. Never unlinks.',
  security: [{ adminToken: [] }],
  middleware: [adminAuth('other')] as const,
  request: {
    params: z.object({ sessionId: SessionIdSchema.openapi({ param: { name: 'sessionId', in: 'path' }, example: 'toko-1' }) }),
    body: { content: { 'application/json': { schema: z.object({ connectorId: ConnectorId.openapi({ example: 'vps-2' }) }).strict() } }, required: true },
  },
  responses: {
    200: json(z.object({ success: z.literal(true), sessionId: z.string(), from: z.string().nullable(), to: z.string() }), 'Moved; the new connector starts it'),
    ...errors(400, 401, 403, 404, 409, 429, 503, 504),
  },
});

export const adminConnectorRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

adminConnectorRoutes.openapi(listRoute, async (c) => c.json({ success: true as const, connectors: await listConnectors(c.var.services) }, 200));

adminConnectorRoutes.openapi(drainRoute, async (c) => {
  const moved = await drainConnector(c.var.services, c.req.valid('param').connectorId, {
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: Date.now,
  });
  return c.json({ success: true as const, moved }, 200);
});

adminConnectorRoutes.openapi(moveRoute, async (c) => {
  const { sessionId } = c.req.valid('param');
  const { from, to } = await moveSession(c.var.services, sessionId, c.req.valid('json').connectorId);
  return c.json({ success: true as const, sessionId, from, to }, 200);
});
