// Live events and the webhook delivery log: what a dashboard needs to show a fresh QR without polling and
// to see why a webhook did not arrive.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { and, desc, eq } from 'drizzle-orm';
import { webhookDeliveries } from '../../shared/db/schema.ts';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { relay } from '../hub/stream-fan-in.ts';
import { apiKeyAuth } from '../middleware/api-key-auth.ts';
import { keyOrAdmin } from '../middleware/key-or-admin.ts';
import { ErrorSchema, SessionIdSchema } from '../schemas.ts';
import { findSession } from '../services/sessions.ts';
import { throwOnInvalid } from '../validation.ts';
import { errors } from './openapi-responses.ts';

const errorResponses = Object.fromEntries(
  [400, 401, 429].map((s) => [s, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }]),
);

const eventsRoute = createRoute({
  method: 'get',
  path: '/api/events',
  summary: "Live stream of the session's events over a WebSocket (key in x-api-key or ?apiKey=)",
  description:
    'Upgrade to a WebSocket. The first message is `{event:"stream.ready", data:{status, qrDataUrl}}`; then every event as `{id, event, sessionId, timestamp, data}`, the same envelope as webhooks. Send the text `{"type":"ping"}` at least every 30 s (answered `{"type":"pong"}`): a stream silent for longer than STREAM_IDLE_MS is closed with 4008. Rotating the key closes its streams (4009); deleting the session closes them with 4004. Past STREAMS_PER_SESSION open streams of one session, or STREAMS_TOTAL in all, the upgrade is refused with 429.',
  security: [{ apiKey: [] }],
  middleware: [apiKeyAuth('other', { allowQuery: true })] as const,
  request: { query: z.object({ apiKey: z.string().optional() }) },
  responses: { 101: { description: 'Switching protocols' }, 426: { description: 'Not a WebSocket upgrade', content: { 'application/json': { schema: ErrorSchema } } }, ...errorResponses },
});

const Delivery = z
  .object({
    id: z.string(),
    eventId: z.string(),
    sessionId: z.string(),
    attempt: z.number(),
    url: z.string(),
    outcome: z.enum(['delivered', 'failed', 'dead']),
    statusCode: z.number().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().nullable(),
    createdAt: z.number(),
  })
  .openapi('WebhookDelivery');

const deliveriesRoute = createRoute({
  method: 'get',
  path: '/api/webhooks/deliveries',
  summary: 'Recent webhook delivery attempts, newest first: of the key\'s session, or (admin token) of any session or all',
  description:
    'With `x-api-key`: the attempts of that key\'s session (a `sessionId` naming another session is refused with 403). With `Authorization: Bearer <admin token>`: the attempts of `sessionId`, or of every session when it is left out.',
  security: [{ apiKey: [] }, { adminToken: [] }] as Record<string, string[]>[],
  middleware: [keyOrAdmin('other')] as const,
  request: {
    query: z.object({
      sessionId: SessionIdSchema.optional(),
      eventId: z.string().max(64).optional(),
      limit: z.coerce.number({ error: 'must be a number' }).int().min(1, 'must be 1-200').max(200, 'must be 1-200').default(50),
    }),
  },
  responses: {
    200: { description: 'Attempts', content: { 'application/json': { schema: z.object({ success: z.literal(true), deliveries: z.array(Delivery) }) } } },
    ...errors(400, 401, 403, 404, 429),
  },
});

export const liveRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

liveRoutes.openapi(eventsRoute, async (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new ApiError('UPGRADE_REQUIRED', 'GET /api/events is a WebSocket: send Upgrade: websocket');
  // The session and key come from apiKeyAuth, never from the request; the ticket is the hub's proof that
  // this Worker asked, and nothing of the client's request is passed on.
  const hub = await c.var.hubs.hubOf(c.var.sessionId);
  const issued = await hub.issueStreamTicket(c.var.sessionId, c.var.keyHash);
  if ('refused' in issued) throw new ApiError(issued.refused, issued.message);
  return (await relay(c.req.url, hub, issued.ticket)) as unknown as never;
});

liveRoutes.openapi(deliveriesRoute, async (c) => {
  const { eventId, limit, sessionId: asked } = c.req.valid('query');
  const { db } = c.var.services;
  let sessionId: string | undefined = asked;
  if (c.var.credential === 'apiKey') {
    if (asked !== undefined && asked !== c.var.sessionId) throw new ApiError('FORBIDDEN', 'This API key belongs to another session');
    sessionId = c.var.sessionId;
  } else if (asked !== undefined && !(await findSession(c.var.services, asked))) {
    throw new ApiError('SESSION_NOT_FOUND', `Session ${asked} not found`);
  }
  const deliveries = await db
    .select({
      id: webhookDeliveries.id,
      eventId: webhookDeliveries.eventId,
      sessionId: webhookDeliveries.sessionId,
      attempt: webhookDeliveries.attempt,
      url: webhookDeliveries.url,
      outcome: webhookDeliveries.outcome,
      statusCode: webhookDeliveries.statusCode,
      error: webhookDeliveries.error,
      durationMs: webhookDeliveries.durationMs,
      createdAt: webhookDeliveries.createdAt,
    })
    .from(webhookDeliveries)
    .where(and(sessionId !== undefined ? eq(webhookDeliveries.sessionId, sessionId) : undefined, eventId ? eq(webhookDeliveries.eventId, eventId) : undefined))
    .orderBy(desc(webhookDeliveries.createdAt))
    .limit(limit);
  return c.json({ success: true as const, deliveries }, 200);
});
