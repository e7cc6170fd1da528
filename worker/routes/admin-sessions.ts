// The admin's sessions resource (`Authorization: Bearer <ADMIN_TOKEN>`): list, read, create, change, delete,
// start, stop, restart, log out and the QR of any session, whatever the state of its keys.
import { PacingPolicy } from '../../shared/pacing.ts';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { EventName, SessionStatus, StatusReason } from '../../shared/status.ts';
import type { AppEnv } from '../app-env.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { SessionIdSchema, text, UserSchema } from '../schemas.ts';
import { listSessions, sessionDetail } from '../services/session-directory.ts';
import { updateSession } from '../services/session-settings.ts';
import { createSession, deleteSession, logoutSession, restartSession, sessionState, startSession, stopSession } from '../services/sessions.ts';
import { sessionCreatedBody } from './session-created.ts';
import { throwOnInvalid } from '../validation.ts';
import { errors, json } from './openapi-responses.ts';

const admin = [{ adminToken: [] }];
const tags = ['Admin: sessions'];
const Params = z.object({ sessionId: SessionIdSchema.openapi({ param: { name: 'sessionId', in: 'path' }, example: 'toko-1' }) });

const SessionSummary = z
  .object({
    id: z.string(),
    description: z.string().nullable(),
    status: SessionStatus,
    reason: StatusReason.nullable().openapi({ description: 'Why it is not WORKING; null when WORKING' }),
    since: z.number().int().nullable(),
    phone: z.string().nullable(),
    user: UserSchema.nullable(),
    connectorId: z.string().nullable(),
    desiredState: z.enum(['running', 'stopped']),
    createdBy: z.enum(['admin', 'anonymous']),
    createdAt: z.number().int(),
  })
  .openapi('SessionSummary', {
    example: {
      id: 'toko-1',
      description: 'Toko Jaya',
      status: 'SCAN_QR_CODE',
      reason: { code: 'WAITING_FOR_SCAN', message: 'scan the QR code', at: 1764590000000 },
      since: 1764590000000,
      phone: null,
      user: null,
      connectorId: 'vps-1',
      desiredState: 'running',
      createdBy: 'admin',
      createdAt: 1764589000000,
    },
  });

const SessionDetail = SessionSummary.extend({
  connectorAttached: z.boolean(),
  lastSeenAt: z.number().int().nullable(),
  expectedPhone: z.string().nullable(),
  userId: z.string().nullable(),
  webhook: z.object({ url: z.string().nullable(), events: z.array(z.string()).nullable(), hasSecret: z.boolean(), hasToken: z.boolean() }),
  pacing: PacingPolicy.nullable().openapi({ description: "The session's pacing policy; null: the connector's default (README, Pacing)" }),
  keys: z.array(z.object({ prefix: z.string(), createdAt: z.number().int(), lastUsedAt: z.number().int().nullable() })),
  counters: z.object({
    messagesIn: z.number().int(),
    messagesOut: z.number().int(),
    events: z.number().int(),
    deliveries: z.object({ delivered: z.number().int(), failed: z.number().int(), dead: z.number().int() }),
  }),
}).openapi('SessionDetail');

const listRoute = createRoute({
  method: 'get',
  path: '/api/sessions',
  tags,
  summary: 'List sessions, a page at a time, optionally only those in one status',
  security: admin,
  middleware: [adminAuth('other')] as const,
  request: {
    query: z.object({
      status: SessionStatus.optional(),
      limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be 1-100').max(100, 'must be 1-100').default(50),
      cursor: SessionIdSchema.optional().openapi({ description: 'nextCursor of the previous page' }),
    }),
  },
  responses: {
    200: json(z.object({ success: z.literal(true), sessions: z.array(SessionSummary), nextCursor: z.string().nullable() }), 'A page of sessions in id order; nextCursor is null on the last page'),
    ...errors(400, 401, 403, 429),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/api/sessions/{sessionId}',
  tags,
  summary: 'Everything about one session: status with reason, user, connector, webhook (no secret), key prefixes, counters',
  security: admin,
  middleware: [adminAuth('other')] as const,
  request: { params: Params },
  responses: { 200: json(z.object({ success: z.literal(true), session: SessionDetail }), 'The session'), ...errors(400, 401, 403, 404, 429) },
});

const createRouteDef = createRoute({
  method: 'post',
  path: '/api/sessions',
  tags,
  summary: 'Create a session and its API key (the same as POST /api/session/create with the admin token)',
  security: admin,
  middleware: [adminAuth('other')] as const,
  request: {
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              sessionId: SessionIdSchema.optional(),
              description: text('text').max(256, 'must be at most 256 characters').optional(),
              webhookUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048, 'must be at most 2048 characters').optional(),
              webhookSecret: text('text').min(16, 'must be at least 16 characters').max(256, 'must be at most 256 characters').optional(),
              webhookEvents: z.array(EventName, { error: `must be a list of: ${EventName.options.join(', ')}` }).max(10).optional(),
              phone: text('text').max(32, 'must be at most 32 characters').optional(),
            })
            .strict()
            .openapi('AdminCreateSessionRequest', { example: { sessionId: 'toko-1', description: 'Toko Jaya', webhookUrl: 'https://example.com/hooks/wa' } }),
        },
      },
      required: false,
    },
  },
  responses: {
    201: json(
      z.object({ success: z.literal(true), sessionId: z.string(), apiKey: z.string(), webhookSecret: z.string().optional(), message: z.string() }),
      'Created; the API key (and a generated webhook secret) are shown only this once',
    ),
    ...errors(400, 401, 403, 409, 413, 415, 429),
  },
});

const PatchBody = z
  .object({
    description: text('text').max(256, 'must be at most 256 characters').nullable().optional(),
    webhookUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048, 'must be at most 2048 characters').nullable().optional(),
    webhookEvents: z.array(EventName, { error: `must be a list of: ${EventName.options.join(', ')}` }).max(10).nullable().optional(),
    // Sent as `Authorization: Bearer <token>` to the owner's backend: a line break would inject headers.
    webhookToken: text('text').min(1, 'must not be empty').max(1024, 'must be at most 1024 characters').regex(/^[\x20-\x7e]+$/, 'must be printable ASCII text').nullable().optional(),
    newWebhookSecret: z.literal(true, { error: 'must be true when given' }).optional().openapi({ description: 'Generate a new webhook secret, returned once' }),
    pacing: PacingPolicy.nullable()
      .optional()
      .openapi({ description: 'Anti-ban pacing of sends (fields left out take their defaults); null: back to the default', example: { minIntervalMs: 8000, perDay: 500 } }),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'must change at least one field' })
  .openapi('UpdateSessionRequest', { example: { webhookUrl: 'https://example.com/hooks/wa', webhookEvents: ['message.received'], newWebhookSecret: true } });

const patchRoute = createRoute({
  method: 'patch',
  path: '/api/sessions/{sessionId}',
  tags,
  summary: "Change a session's description, webhook or pacing (null clears a field); a new webhook secret is shown once",
  security: admin,
  middleware: [adminAuth('other')] as const,
  request: { params: Params, body: { content: { 'application/json': { schema: PatchBody } }, required: true } },
  responses: {
    200: json(z.object({ success: z.literal(true), session: SessionDetail, webhookSecret: z.string().optional() }), 'The session as changed, and the new webhook secret if one was made'),
    ...errors(400, 401, 403, 404, 413, 415, 429),
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/api/sessions/{sessionId}',
  tags,
  summary: 'Delete a session: WhatsApp is unlinked, its keys, messages and events removed',
  security: admin,
  middleware: [adminAuth('other')] as const,
  request: { params: Params },
  responses: { 200: json(z.object({ success: z.literal(true), message: z.string() }), 'Deleted'), ...errors(400, 401, 403, 404, 429) },
});

const Recorded = z.object({ success: z.literal(true), message: z.string() }).openapi('Recorded', { example: { success: true, message: 'Session is starting' } });

function action(name: 'start' | 'stop' | 'restart' | 'logout', summary: string) {
  return createRoute({
    method: 'post',
    path: `/api/sessions/{sessionId}/${name}`,
    tags,
    summary,
    security: admin,
    middleware: [adminAuth('other')] as const,
    request: { params: Params },
    responses: { 200: json(Recorded, 'Recorded; the connector follows'), ...errors(400, 401, 403, 404, 429) },
  });
}

const startRoute = action('start', 'Start a stopped or logged-out session');
const stopRoute = action('stop', 'Stop a session, keeping its login (start resumes it without a QR)');
const restartRoute = action('restart', "Close the session's WhatsApp connection and open it again, keeping the login");
const logoutRoute = action('logout', 'Unlink WhatsApp and forget the login (start shows a new QR)');

const qrRoute = createRoute({
  method: 'get',
  path: '/api/sessions/{sessionId}/qr',
  tags,
  summary: "The session's current QR code (PNG data URL and raw), or who it is connected as",
  security: admin,
  middleware: [adminAuth('other')] as const,
  request: { params: Params },
  responses: {
    200: json(
      z.object({
        success: z.literal(true),
        connected: z.boolean(),
        status: SessionStatus,
        reason: StatusReason.nullable(),
        qr: z.string().nullable(),
        qrRaw: z.string().nullable(),
        user: UserSchema.nullable(),
      }),
      'The QR while one is showing (null otherwise, with the reason)',
    ),
    ...errors(400, 401, 403, 404, 429),
  },
});

export const adminSessionRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

adminSessionRoutes.openapi(listRoute, async (c) => c.json({ success: true as const, ...(await listSessions(c.var.services, c.req.valid('query'))) }, 200));

adminSessionRoutes.openapi(getRoute, async (c) => c.json({ success: true as const, session: await sessionDetail(c.var.services, c.req.valid('param').sessionId) }, 200));

adminSessionRoutes.openapi(createRouteDef, async (c) => {
  return c.json(sessionCreatedBody(await createSession(c.var.services, c.req.valid('json') ?? {})), 201);
});

adminSessionRoutes.openapi(patchRoute, async (c) => {
  const { sessionId } = c.req.valid('param');
  const { webhookSecret } = await updateSession(c.var.services, sessionId, c.req.valid('json'));
  const session = await sessionDetail(c.var.services, sessionId);
  return c.json({ success: true as const, session, ...(webhookSecret ? { webhookSecret } : {}) }, 200);
});

adminSessionRoutes.openapi(deleteRoute, async (c) => {
  const { sessionId } = c.req.valid('param');
  await deleteSession(c.var.services, sessionId);
  return c.json({ success: true as const, message: `Session ${sessionId} deleted; WhatsApp is unlinked` }, 200);
});

const actions = [
  [startRoute, startSession, 'Session is starting'],
  [stopRoute, stopSession, 'Session is stopping; its login is kept'],
  [restartRoute, restartSession, 'Session is restarting'],
  [logoutRoute, logoutSession, 'Logout recorded: WhatsApp is unlinked and the login forgotten'],
] as const;

for (const [route, act, message] of actions) {
  adminSessionRoutes.openapi(route, async (c) => {
    await act(c.var.services, c.req.valid('param').sessionId);
    return c.json({ success: true as const, message }, 200);
  });
}

adminSessionRoutes.openapi(qrRoute, async (c) => {
  const state = await sessionState(c.var.services, c.req.valid('param').sessionId);
  return c.json(
    {
      success: true as const,
      connected: state.connected,
      status: state.status,
      reason: state.reason,
      qr: state.qrDataUrl,
      qrRaw: state.qrRaw,
      user: state.user,
    },
    200,
  );
});
