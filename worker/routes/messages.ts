// POST /api/messages: every kind of message on one route, a union keyed on `type` (message-request.ts).
// /api/send stays as the short form for text.
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { apiKeyAuth } from '../middleware/api-key-auth.ts';
import { ErrorSchema } from '../schemas.ts';
import { sendRequestedMessage } from '../services/outgoing-message.ts';
import { enqueueMessages } from '../services/queue.ts';
import { QueuedResult } from './queue.ts';
import { throwOnInvalid } from '../validation.ts';
import { MessageRequest, MessageResult } from './message-request.ts';

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }]));

const sendRoute = createRoute({
  method: 'post',
  path: '/api/messages',
  summary: 'Send a message of any kind: text, image, video, audio (voice note), document or sticker',
  security: [{ apiKey: [] }],
  middleware: [apiKeyAuth('send')] as const,
  request: { body: { content: { 'application/json': { schema: MessageRequest } }, required: true } },
  responses: {
    200: { description: 'Sent; `result.key.id` is the WhatsApp message id', content: { 'application/json': { schema: MessageResult } } },
    202: { description: 'With `"queue": true`: durable in the session\'s queue; `messageId` is the WhatsApp id it will be sent with', content: { 'application/json': { schema: QueuedResult } } },
    ...errors(400, 401, 404, 409, 413, 415, 429, 502, 503, 504),
  },
});

export const messageRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

messageRoutes.openapi(sendRoute, (c) => sendRequest(c, c.req.valid('json')));

/** Sends (or with `queue`, queues) a validated request for `c.var.sessionId`: the session key's route and the admin's. */
export async function sendRequest(c: Context<AppEnv>, request: MessageRequest) {
  const { services } = c.var;
  if (request.queue) {
    const [messageId] = await enqueueMessages(services, c.var.sessionId, [request], () => '');
    return c.json({ success: true as const, messageId: messageId!, status: 'queued' as const }, 202);
  }
  const origin = services.config.PUBLIC_URL ?? new URL(c.req.url).origin;
  const sent = await sendRequestedMessage(services, c.var.sessionId, request, { origin, fetch: (input, init) => fetch(input, init) });
  return c.json(
    {
      success: true as const,
      result: { key: { remoteJid: sent.remoteJid, id: sent.messageId, fromMe: true as const }, type: sent.type, messageTimestamp: sent.timestamp },
    },
    200,
  );
}

