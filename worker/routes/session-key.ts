// The session-key surface (`x-api-key`): create, QR, status, start, logout and send, each acting only on
// the session the key belongs to.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { EventName, StatusReason } from '../../shared/status.ts';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { apiKeyAuth } from '../middleware/api-key-auth.ts';
import { ErrorSchema, SessionIdSchema, text, UserSchema } from '../schemas.ts';
import { checkMessageText, parseRecipient, sendText } from '../services/messaging.ts';
import { requestPairingCode } from '../services/pairing.ts';
import { createSession, logoutSession, rotateApiKey, sessionState, startSession, type SessionState } from '../services/sessions.ts';
import { sessionCreatedBody } from './session-created.ts';
import { throwOnInvalid } from '../validation.ts';

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }]));

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const keyed = [{ apiKey: [] }];

const CreateBody = z
  .object({
    sessionId: SessionIdSchema.optional(),
    description: text('text').max(256, 'must be at most 256 characters').optional(),
    webhookUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048, 'must be at most 2048 characters').optional(),
    webhookSecret: text('text').min(16, 'must be at least 16 characters').max(256, 'must be at most 256 characters').optional(),
    webhookEvents: z.array(EventName, { error: `must be a list of: ${EventName.options.join(', ')}` }).max(EventName.options.length).optional(),
    // Checked and normalised by the service, as a send's recipient is.
    phone: text('text').max(32, 'must be at most 32 characters').optional().openapi({ description: 'The only number that may link this session' }),
  })
  .strict()
  .openapi('CreateSessionRequest');

const createRouteDef = createRoute({
  method: 'post',
  path: '/api/session/create',
  summary: 'Create a session and its API key (admin token, unless open creation is allowed)',
  security: [{ adminToken: [] }],
  middleware: [adminAuth('other', { allowAnonymous: (c) => c.var.services.config.ALLOW_OPEN_SESSION_CREATE })] as const,
  request: { body: { content: { 'application/json': { schema: CreateBody } }, required: false } },
  responses: {
    201: json(
      z.object({ success: z.literal(true), sessionId: z.string(), apiKey: z.string(), webhookSecret: z.string().optional(), message: z.string() }),
      'Created; the API key (and a generated webhookSecret, when a webhookUrl came without one) is shown only this once',
    ),
    ...errors(400, 401, 403, 409, 413, 415, 429),
  },
});

const QrQuery = z.object({ format: z.enum(['dataurl', 'raw'], { error: 'must be "dataurl" or "raw"' }).optional() });

const qrRoute = createRoute({
  method: 'get',
  path: '/api/session/qr',
  summary: "The session's current QR code, or who it is connected as",
  security: keyed,
  middleware: [apiKeyAuth('other')] as const,
  request: { query: QrQuery },
  responses: {
    200: json(
      z.object({
        success: z.literal(true),
        connected: z.boolean(),
        status: z.string(),
        qr: z.string().nullable().optional(),
        qrRaw: z.string().nullable().optional(),
        user: UserSchema.optional(),
        message: z.string().optional(),
      }),
      'QR as a PNG data URL (or raw with format=raw), or the connected user',
    ),
    ...errors(400, 401, 429),
  },
});

const statusRoute = createRoute({
  method: 'get',
  path: '/api/session/status',
  summary: 'Whether the session is connected to WhatsApp',
  security: keyed,
  middleware: [apiKeyAuth('other')] as const,
  responses: {
    200: json(
      z.object({
        success: z.literal(true),
        connected: z.boolean(),
        status: z.string(),
        reason: StatusReason.optional().openapi({
          description: 'Why it is not WORKING, or not usable (CONNECTOR_OFFLINE); see the README table of statuses and reasons',
        }),
        since: z.number().int().nullable().openapi({ description: 'When the session entered this status (epoch ms)' }),
        lastSeenAt: z.number().int().optional().openapi({
          description: 'While WORKING: when WhatsApp was last heard from (epoch ms; reported every 30 s at most)',
        }),
        user: UserSchema.optional(),
      }),
      'Status, with why it is not WORKING',
    ),
    ...errors(401, 429),
  },
});

export const PairBody = z
  .object({ phone: text('text').max(32, 'must be at most 32 characters').openapi({ description: 'The number to link, e.g. "6281234567890"' }) })
  .strict()
  .openapi('PairRequest');

const pairRoute = createRoute({
  method: 'post',
  path: '/api/session/pair',
  summary: 'Link a phone by code instead of a QR: type the code on the phone (Linked devices > Link with phone number)',
  security: keyed,
  middleware: [apiKeyAuth('other')] as const,
  request: { body: { content: { 'application/json': { schema: PairBody } }, required: true } },
  responses: {
    200: json(
      z.object({ success: z.literal(true), code: z.string().openapi({ example: 'ABCD-EFGH' }), expiresAt: z.number().int() }),
      'The code, also sent as a pairing.code event',
    ),
    ...errors(400, 401, 409, 413, 415, 429, 502, 503, 504),
  },
});

/** A keyed POST with no body: logout, start, rotate-key. */
function keyedPost<R extends z.ZodType>(path: string, summary: string, result: R, description: string) {
  return createRoute({
    method: 'post',
    path,
    summary,
    security: keyed,
    middleware: [apiKeyAuth('other')] as const,
    responses: { 200: json(result, description), ...errors(401, 429) },
  });
}

const Recorded = z.object({ success: z.literal(true), message: z.string() });
const logoutRoute = keyedPost('/api/session/logout', 'Unlink WhatsApp and forget the login (the key stays valid; start shows a new QR)', Recorded, 'Recorded; the connector follows');
const startRoute = keyedPost('/api/session/start', 'Start a stopped or logged-out session again', Recorded, 'Recorded; the connector follows');
const rotateRoute = keyedPost(
  '/api/session/rotate-key',
  "Replace the session's API key; the old key stops working at once",
  z.object({ success: z.literal(true), apiKey: z.string(), message: z.string() }),
  'The new key, shown only this once',
);

const SendFields = {
  /** A JSON number is a phone too, as the Laravel surface accepts it (JavaScript callers often store phones as numbers). */
  to: z
    .union([text('a phone number').min(1, 'is required').max(32, 'must be at most 32 characters'), z.number().int().nonnegative().transform(String)], {
      error: (issue) => (issue.input === undefined ? 'is required' : 'must be a phone number'),
    })
    .openapi({ type: 'string' }),
  /** Its length limit is MAX_MESSAGE_LENGTH, checked by the handler so the error states the real limit. */
  message: text('text').min(1, 'is required'),
  /** Optional, for callers that send it anyway: it must be the key's own session. */
  sessionId: SessionIdSchema.optional(),
};

const SendResult = z.object({
  success: z.literal(true),
  result: z.object({
    key: z.object({ remoteJid: z.string(), id: z.string(), fromMe: z.literal(true) }),
    message: z.object({ extendedTextMessage: z.object({ text: z.string() }) }),
    messageTimestamp: z.number(),
  }),
});

const sendResponses = {
  200: json(SendResult, 'Sent; `result.key.id` is the WhatsApp message id'),
  ...errors(400, 401, 403, 409, 413, 415, 429, 502, 503, 504),
};

const sendPostRoute = createRoute({
  method: 'post',
  path: '/api/send',
  summary: 'Send a text message',
  security: keyed,
  middleware: [apiKeyAuth('send')] as const,
  request: { body: { content: { 'application/json': { schema: z.object(SendFields).strict().openapi('SendRequest') } }, required: true } },
  responses: sendResponses,
});

const sendGetRoute = createRoute({
  method: 'get',
  path: '/api/send',
  summary: 'Send a text message (query-string form, as the original documents it)',
  security: keyed,
  middleware: [apiKeyAuth('send')] as const,
  request: { query: z.object(SendFields) },
  responses: sendResponses,
});

export const sessionKeyRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

sessionKeyRoutes.openapi(createRouteDef, async (c) => {
  const body = c.req.valid('json');
  return c.json(sessionCreatedBody(await createSession(c.var.services, { ...body, anonymous: c.var.anonymous })), 201);
});

function qrWaitReason(state: SessionState): string {
  if (state.status === 'LOGGED_OUT' || state.status === 'STOPPED') return 'Session is not running; POST /api/session/start';
  if (!state.connectorAttached) return 'Waiting for the WhatsApp connector to attach';
  return 'No QR code yet; retry shortly';
}

sessionKeyRoutes.openapi(qrRoute, async (c) => {
  const state = await sessionState(c.var.services, c.var.sessionId);
  if (state.connected && state.user) {
    return c.json({ success: true as const, connected: true, status: state.status, user: state.user, message: 'Session is connected' }, 200);
  }
  const raw = c.req.valid('query').format === 'raw';
  const qr = raw ? { qrRaw: state.qrRaw } : { qr: state.qrDataUrl };
  const waiting = state.qrRaw === null;
  return c.json(
    {
      success: true as const,
      connected: false,
      status: state.status,
      ...qr,
      ...(waiting ? { message: qrWaitReason(state) } : {}),
    },
    200,
  );
});

sessionKeyRoutes.openapi(pairRoute, async (c) => {
  const { code, expiresAt } = await requestPairingCode(c.var.services, c.var.sessionId, c.req.valid('json').phone);
  return c.json({ success: true as const, code, expiresAt }, 200);
});

sessionKeyRoutes.openapi(statusRoute, async (c) => {
  const state = await sessionState(c.var.services, c.var.sessionId);
  return c.json(
    {
      success: true as const,
      connected: state.connected,
      status: state.status,
      ...(state.reason ? { reason: state.reason } : {}),
      since: state.since,
      ...(state.lastSeenAt !== null ? { lastSeenAt: state.lastSeenAt } : {}),
      ...(state.user ? { user: state.user } : {}),
    },
    200,
  );
});

sessionKeyRoutes.openapi(logoutRoute, async (c) => {
  await logoutSession(c.var.services, c.var.sessionId);
  return c.json({ success: true as const, message: 'Logout recorded: WhatsApp is unlinked and the login forgotten' }, 200);
});

sessionKeyRoutes.openapi(startRoute, async (c) => {
  await startSession(c.var.services, c.var.sessionId);
  return c.json({ success: true as const, message: 'Session is starting' }, 200);
});

sessionKeyRoutes.openapi(rotateRoute, async (c) => {
  const apiKey = await rotateApiKey(c.var.services, c.var.sessionId);
  return c.json({ success: true as const, apiKey, message: 'Key replaced. Store the new key now: it is shown only once.' }, 200);
});

async function send(c: { var: AppEnv['Variables'] }, input: { to: string; message: string; sessionId?: string | undefined }) {
  const { services, sessionId } = c.var;
  if (input.sessionId !== undefined && input.sessionId !== sessionId) {
    throw new ApiError('FORBIDDEN', 'This API key belongs to another session');
  }
  const to = parseRecipient(services.config, input.to, 'to');
  checkMessageText(services.config, input.message, 'message');
  const sent = await sendText(services, sessionId, to, input.message);
  return {
    success: true as const,
    result: {
      key: { remoteJid: sent.remoteJid, id: sent.messageId, fromMe: true as const },
      message: { extendedTextMessage: { text: input.message } },
      messageTimestamp: sent.timestamp,
    },
  };
}

sessionKeyRoutes.openapi(sendPostRoute, async (c) => c.json(await send(c, c.req.valid('json')), 200));
sessionKeyRoutes.openapi(sendGetRoute, async (c) => c.json(await send(c, c.req.valid('query')), 200));
