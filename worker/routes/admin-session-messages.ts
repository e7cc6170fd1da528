// The admin's way to send as any session (`Authorization: Bearer <ADMIN_TOKEN>`), for the dashboard's test
// send: POST /api/sessions/{sessionId}/messages and /media take what POST /api/messages and /api/media take,
// validated by the same schemas and handled by the same code, with the session named in the path.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { adminSession } from '../middleware/admin-session.ts';
import { SessionIdSchema } from '../schemas.ts';
import { throwOnInvalid } from '../validation.ts';
import { MULTIPART_MAX_BYTES, Uploaded, uploadMedia } from './media.ts';
import { MessageRequest, MessageResult } from './message-request.ts';
import { sendRequest } from './messages.ts';
import { QueuedResult } from './queue.ts';
import { errors, json } from './openapi-responses.ts';

const admin = [{ adminToken: [] }];
const tags = ['Admin: sessions'];
const Params = z.object({ sessionId: SessionIdSchema.openapi({ param: { name: 'sessionId', in: 'path' }, example: 'toko-1' }) });

const sendRoute = createRoute({
  method: 'post',
  path: '/api/sessions/{sessionId}/messages',
  tags,
  summary: 'Send a message of any kind as this session (the body of POST /api/messages)',
  security: admin,
  middleware: [adminAuth('send'), adminSession()] as const,
  request: { params: Params, body: { content: { 'application/json': { schema: MessageRequest } }, required: true } },
  responses: {
    200: json(MessageResult, 'Sent; `result.key.id` is the WhatsApp message id'),
    202: json(QueuedResult, 'With `"queue": true`: durable in the session\'s queue; `messageId` is the WhatsApp id it will be sent with'),
    ...errors(400, 401, 403, 404, 409, 413, 415, 429, 502, 503, 504),
  },
});

export const adminSessionMessageRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

adminSessionMessageRoutes.openapi(sendRoute, (c) => sendRequest(c, c.req.valid('json')));

// Documented here, handled without a body validator, as POST /api/media: a validator would read the whole body.
adminSessionMessageRoutes.openAPIRegistry.registerPath({
  method: 'post',
  path: '/api/sessions/{sessionId}/media',
  tags,
  summary: "Upload a file to this session's media, to send by its mediaId (the body of POST /api/media)",
  description: `Either multipart/form-data with a \`file\` field (at most ${MULTIPART_MAX_BYTES / 1024 / 1024} MiB), or the raw bytes as the body with their Content-Type and an optional \`x-kabar-filename\` header (percent-encoded UTF-8), up to MAX_MEDIA_BYTES.`,
  security: admin,
  request: {
    params: Params,
    body: {
      required: true,
      content: {
        'multipart/form-data': { schema: z.object({ file: z.string().openapi({ type: 'string', format: 'binary' }) }) },
        'application/octet-stream': { schema: z.string().openapi({ type: 'string', format: 'binary' }) },
      },
    },
  },
  responses: { 201: json(Uploaded, 'Stored'), ...errors(400, 401, 403, 404, 411, 413, 429, 503) },
});

adminSessionMessageRoutes.post('/api/sessions/:sessionId/media', adminAuth('send'), adminSession(), (c) => uploadMedia(c));
