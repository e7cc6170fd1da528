// Replaying a webhook delivery (admin token): an event whose delivery failed or was given up on goes
// through the webhook queue again, to the session's current webhook. Requeueing puts every unfinished job
// back on a queue that lost its messages (the one-box service does this at each start).
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { replayDelivery } from '../services/webhook-replay.ts';
import { requeuePendingJobs } from '../webhooks/pending-jobs.ts';
import { throwOnInvalid } from '../validation.ts';
import { errors, json } from './openapi-responses.ts';

const replayRoute = createRoute({
  method: 'post',
  path: '/api/webhooks/deliveries/{eventId}/replay',
  tags: ['Admin: webhooks'],
  summary: 'Deliver a failed or dead-lettered event again, through the webhook queue (new attempts appear in the delivery log)',
  security: [{ adminToken: [] }],
  middleware: [adminAuth('other')] as const,
  request: {
    params: z.object({
      eventId: z
        .string()
        .min(1)
        .max(128, 'must be at most 128 characters')
        .openapi({ param: { name: 'eventId', in: 'path' }, example: 'evt_3f1c9a' }),
    }),
  },
  responses: {
    202: json(
      z.object({ success: z.literal(true), eventId: z.string(), sessionId: z.string(), message: z.string() }).openapi({
        example: { success: true, eventId: 'evt_3f1c9a', sessionId: 'toko-1', message: 'Queued for delivery' },
      }),
      'Queued; the attempt appears in GET /api/webhooks/deliveries',
    ),
    ...errors(400, 401, 403, 404, 409, 429),
  },
});

const requeueRoute = createRoute({
  method: 'post',
  path: '/api/webhooks/requeue',
  tags: ['Admin: webhooks'],
  summary: 'Put every webhook job not yet delivered or given up on back on the queue, after the queue lost its messages (a job still queued is delivered twice)',
  security: [{ adminToken: [] }],
  middleware: [adminAuth('other')] as const,
  responses: {
    202: json(
      z.object({ success: z.literal(true), requeued: z.number().int().min(0) }).openapi({ example: { success: true, requeued: 12 } }),
      'Queued; the attempts appear in GET /api/webhooks/deliveries',
    ),
    ...errors(401, 403, 429),
  },
});

export const adminWebhookRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

adminWebhookRoutes.openapi(requeueRoute, async (c) => {
  const requeued = await requeuePendingJobs(c.var.services.db, c.env.WEBHOOKS, new URL(c.req.url).origin);
  return c.json({ success: true as const, requeued }, 202);
});

adminWebhookRoutes.openapi(replayRoute, async (c) => {
  const { eventId } = c.req.valid('param');
  const { sessionId } = await replayDelivery(c.var.services, c.env.WEBHOOKS, eventId);
  return c.json({ success: true as const, eventId, sessionId, message: 'Queued for delivery to the session webhook' }, 202);
});
