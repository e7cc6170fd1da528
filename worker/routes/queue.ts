// The session's outbound queue on the session-key surface: a batch of up to 1,000 messages accepted at once
// (202, one id per message, in order), the queue's state, pause and resume, and cancelling one still queued.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { QUEUE_BATCH_MAX } from '../../shared/protocol.ts';
import type { AppEnv } from '../app-env.ts';
import { apiKeyAuth } from '../middleware/api-key-auth.ts';
import { ErrorSchema, text } from '../schemas.ts';
import { cancelQueued, enqueueMessages, pauseQueue, queueState, resumeQueue } from '../services/queue.ts';
import { throwOnInvalid } from '../validation.ts';
import { MessageRequest } from './message-request.ts';

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }]));
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const keyed = [{ apiKey: [] }];
const commandErrors = errors(400, 401, 404, 409, 415, 429, 502, 503, 504);

/** A request's larger body: 1,000 messages of a few hundred characters each. */
export const BATCH_BODY_MAX_BYTES = 2 * 1024 * 1024;

export const QueuedResult = z
  .object({ success: z.literal(true), messageId: z.string(), status: z.literal('queued') })
  .openapi('QueuedMessage', { example: { success: true, messageId: '3EB0C767D71D7C8F2D6A11', status: 'queued' } });

const QueueView = z
  .object({
    depth: z.number().int().openapi({ description: 'Messages waiting (including one being sent)' }),
    paused: z.boolean(),
    pausedReason: z
      .object({
        code: z.string(),
        message: z.string(),
        at: z.number().int(),
        until: z.number().int().nullable().optional().openapi({ description: 'When the queue resumes by itself (epoch ms): the end WhatsApp gave a warning; null when only a resume restarts it' }),
      })
      .nullable()
      .openapi({ description: '`PAUSED_BY_USER`, or the warning that paused it: `RATE_LIMITED`, `REACH_OUT_LOCKED`, `ACCOUNT_RESTRICTED`' }),
    nextSendAt: z.number().int().nullable().openapi({ description: 'When the next message may go (epoch ms); null when empty or paused' }),
    etaAt: z.number().int().nullable().openapi({ description: 'When the last waiting message should go at the current pace (epoch ms)' }),
  })
  .openapi('QueueState');
const QueueAnswer = z.object({ success: z.literal(true), queue: QueueView }).openapi('QueueAnswer');

const BatchRequest = z
  .object({
    messages: z
      .array(MessageRequest, { error: 'must be a list of messages' })
      .min(1, 'must not be empty')
      .max(QUEUE_BATCH_MAX, `takes at most ${QUEUE_BATCH_MAX} messages`),
  })
  .strict()
  .openapi('BatchRequest', {
    example: { messages: [{ to: '6281234567890', type: 'text', text: { body: 'Promo hari ini' } }, { to: '6289876543210', type: 'text', text: { body: 'Promo hari ini' } }] },
  });

const batchRoute = createRoute({
  method: 'post',
  path: '/api/messages/batch',
  summary: `Queue up to ${QUEUE_BATCH_MAX} messages at once (no media); each is sent at the session's pace`,
  security: keyed,
  middleware: [apiKeyAuth('send')] as const,
  request: { body: { content: { 'application/json': { schema: BatchRequest } }, required: true } },
  responses: {
    202: json(z.object({ success: z.literal(true), messages: z.array(QueuedResult) }).openapi('BatchResult'), 'All durable in the queue; one answer per message, in order'),
    ...commandErrors,
  },
});

const stateRoute = createRoute({
  method: 'get',
  path: '/api/queue',
  summary: "The session's outbound queue: depth, next send, ETA, paused and why",
  security: keyed,
  middleware: [apiKeyAuth('other')] as const,
  responses: { 200: json(QueueAnswer, 'The queue now'), ...errors(401, 409, 429, 503, 504) },
});

const control = (action: 'pause' | 'resume', summary: string) =>
  createRoute({
    method: 'post',
    path: `/api/queue/${action}`,
    summary,
    security: keyed,
    middleware: [apiKeyAuth('send')] as const,
    responses: { 200: json(QueueAnswer, 'The queue now'), ...errors(401, 409, 429, 503, 504) },
  });

const cancelRoute = createRoute({
  method: 'delete',
  path: '/api/queue/{id}',
  summary: 'Cancel a message still in the queue (409 ALREADY_SENT once it has left it)',
  security: keyed,
  middleware: [apiKeyAuth('send')] as const,
  request: {
    params: z.object({
      id: text('a message id').min(1, 'is required').max(128, 'must be at most 128 characters').openapi({ param: { name: 'id', in: 'path' }, example: '3EB0C767D71D7C8F2D6A11' }),
    }),
  },
  responses: {
    200: json(z.object({ success: z.literal(true), messageId: z.string(), status: z.literal('cancelled') }).openapi('CancelledMessage'), 'Cancelled; it will not be sent'),
    ...errors(400, 401, 404, 409, 429, 503, 504),
  },
});

export const queueRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

queueRoutes.openapi(batchRoute, async (c) => {
  const ids = await enqueueMessages(c.var.services, c.var.sessionId, c.req.valid('json').messages, (i) => `messages.${i}.`);
  return c.json({ success: true as const, messages: ids.map((messageId) => ({ success: true as const, messageId, status: 'queued' as const })) }, 202);
});

queueRoutes.openapi(stateRoute, async (c) => c.json({ success: true as const, queue: await queueState(c.var.services, c.var.sessionId) }, 200));
queueRoutes.openapi(control('pause', 'Pause the queue: nothing more is sent until resumed'), async (c) =>
  c.json({ success: true as const, queue: await pauseQueue(c.var.services, c.var.sessionId) }, 200),
);
queueRoutes.openapi(control('resume', 'Resume the queue, also after a warning paused it'), async (c) =>
  c.json({ success: true as const, queue: await resumeQueue(c.var.services, c.var.sessionId) }, 200),
);

queueRoutes.openapi(cancelRoute, async (c) => {
  const { id } = c.req.valid('param');
  await cancelQueued(c.var.services, c.var.sessionId, id);
  return c.json({ success: true as const, messageId: id, status: 'cancelled' as const }, 200);
});
