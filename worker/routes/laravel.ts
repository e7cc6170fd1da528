// The Laravel surface (`Authorization: Bearer <ADMIN_TOKEN>`), with the shapes and texts of the original
// gateway: sessions are named by phone number. Bodies may be JSON or form-encoded, as PHP clients send both.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { normalisePhone } from '../../shared/phone.ts';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { LaravelErrorSchema } from '../schemas.ts';
import { checkMessageText, parseRecipient, sendText } from '../services/messaging.ts';
import { deleteSession, ensureRunningSession, findSession, refuseAnonymous, resetSession } from '../services/sessions.ts';
import type { Services } from '../services/ports.ts';

/** PHP arrays often carry numbers for phones and ids; the original accepted both. */
const scalar = (max: number) =>
  z.union([z.string().trim().min(1).max(max), z.number().int().nonnegative().transform(String)]).openapi({ type: 'string' });

const PhoneBody = z.object({ phone: scalar(32) });
const SendBody = z.object({ sessionId: scalar(64), number: scalar(32), message: z.string().min(1) });
const StoreBody = z.object({ phone: scalar(32), user_id: scalar(64), api_token: z.string().min(1).max(1024) });

const Message = z.object({ message: z.string() });
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: 'Error', content: { 'application/json': { schema: LaravelErrorSchema } } }]));

function route<B extends z.ZodType, R extends z.ZodType>(method: 'post' | 'put', path: string, summary: string, body: B, response: R, errorStatuses: number[]) {
  return createRoute({
    method,
    path,
    summary,
    tags: ['Laravel'],
    security: [{ adminToken: [] }],
    middleware: [adminAuth(path === '/api/send-message' ? 'send' : 'other')] as const,
    request: {
      body: { content: { 'application/json': { schema: body }, 'application/x-www-form-urlencoded': { schema: body } }, required: false },
    },
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: response } } }, ...errors(...errorStatuses) },
  });
}

/** The original answered any missing field with one fixed text per route; so do we, for any invalid body. */
function requireBody(text: string) {
  return (result: { success: boolean }): undefined => {
    if (!result.success) throw new ApiError('VALIDATION_FAILED', text);
    return undefined;
  };
}

/**
 * Form and JSON validators each fill their own slot; the one that matched the content type has the data.
 * With no content type neither validator ran, so the merged body is checked once more here: a missing body
 * is answered with the route's text like any other invalid one.
 */
function body<S extends z.ZodType>(c: Context<AppEnv>, schema: S, missing: string): z.infer<S> {
  const req = c.req as unknown as { valid(target: 'json' | 'form'): object | undefined };
  const parsed = schema.safeParse({ ...req.valid('form'), ...req.valid('json') });
  if (!parsed.success) throw new ApiError('VALIDATION_FAILED', missing);
  return parsed.data;
}

/** The backend token goes out as `Authorization: Bearer <token>`: a line break would inject headers. */
const HEADER_SAFE = /^[\x20-\x7e]+$/;

function phoneOf(s: Services, raw: string): string {
  const phone = normalisePhone(raw, s.config.DEFAULT_COUNTRY_CODE);
  if (!phone) throw new ApiError('VALIDATION_FAILED', 'Nomor HP tidak valid!');
  return phone;
}

/**
 * Laravel callers name a session by the phone as they stored it: exact id first, then the normalised number.
 * Only delete may act on a session created anonymously; everything else refuses it.
 */
async function resolveSessionId(s: Services, given: string, options: { allowAnonymous?: boolean } = {}): Promise<string | null> {
  const phone = normalisePhone(given, s.config.DEFAULT_COUNTRY_CODE);
  const row =
    (/^[A-Za-z0-9_-]{1,64}$/.test(given) ? await findSession(s, given) : undefined) ?? (phone ? await findSession(s, phone) : undefined);
  if (!row) return null;
  if (!options.allowAnonymous) refuseAnonymous(row);
  return row.id;
}

const createSessionRoute = route('post', '/api/create-session', 'Start (or create) the session for a phone number', PhoneBody, Message, [400, 401, 403, 413, 415, 429]);
const deleteRoute = route('post', '/api/delete', 'Delete a session: unlink WhatsApp and remove it', PhoneBody, Message, [400, 401, 403, 404, 413, 415, 429]);
const resetRoute = route('post', '/api/reset', 'Forget the login and start again with a new QR', PhoneBody, Message, [400, 401, 403, 413, 415, 429]);
const sendMessageRoute = route(
  'post',
  '/api/send-message',
  'Send a text message from a session',
  SendBody,
  z.object({ message: z.string(), sessionId: z.string(), number: z.string() }),
  [400, 401, 403, 404, 409, 413, 415, 429, 502, 503, 504],
);
const storeRoute = route('put', '/api/client/store', "Store the owner's user id and the token the gateway sends to their backend", StoreBody, Message, [
  400, 401, 403, 413, 415, 429,
]);

export const LARAVEL_PATHS: ReadonlySet<string> = new Set(
  [createSessionRoute, deleteRoute, resetRoute, sendMessageRoute, storeRoute].map((r) => r.path),
);

export const laravelRoutes = new OpenAPIHono<AppEnv>();

laravelRoutes.openapi(
  createSessionRoute,
  async (c) => {
    const { phone } = body(c, PhoneBody, 'Phone number required!');
    const id = phoneOf(c.var.services, phone);
    await ensureRunningSession(c.var.services, { sessionId: id, phone: id });
    return c.json({ message: `Client for ${phone} is being initialized...` }, 200);
  },
  requireBody('Phone number required!'),
);

laravelRoutes.openapi(
  deleteRoute,
  async (c) => {
    const { phone } = body(c, PhoneBody, 'Nomor HP diperlukan!');
    const id = await resolveSessionId(c.var.services, phone, { allowAnonymous: true });
    if (!id) throw new ApiError('SESSION_NOT_FOUND', `Sesi ${phone} tidak ditemukan!`);
    await deleteSession(c.var.services, id);
    return c.json({ message: `Session ${phone} deleted successfully.` }, 200);
  },
  requireBody('Nomor HP diperlukan!'),
);

laravelRoutes.openapi(
  resetRoute,
  async (c) => {
    const { phone } = body(c, PhoneBody, 'Nomor HP diperlukan!');
    const existing = await resolveSessionId(c.var.services, phone);
    if (existing) await resetSession(c.var.services, existing);
    else {
      const id = phoneOf(c.var.services, phone);
      await ensureRunningSession(c.var.services, { sessionId: id, phone: id });
    }
    return c.json({ message: `Sesi ${phone} berhasil direset dan dibuat ulang!` }, 200);
  },
  requireBody('Nomor HP diperlukan!'),
);

laravelRoutes.openapi(
  sendMessageRoute,
  async (c) => {
    const s = c.var.services;
    const { sessionId, number, message } = body(c, SendBody, 'SessionId, nomor, dan pesan harus diisi');
    const to = parseRecipient(s.config, number, 'number');
    checkMessageText(s.config, message, 'message');
    const notFound = `Session ${sessionId} tidak ditemukan atau belum login.`;
    const id = await resolveSessionId(s, sessionId);
    if (!id) throw new ApiError('SESSION_NOT_FOUND', notFound);
    try {
      await sendText(s, id, to, message);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'SESSION_NOT_CONNECTED') throw new ApiError('SESSION_NOT_CONNECTED', notFound);
      if (error instanceof ApiError && error.code === 'SEND_FAILED') throw new ApiError('SEND_FAILED', 'Gagal mengirim pesan');
      throw error;
    }
    return c.json({ message: 'Pesan berhasil dikirim!', sessionId, number }, 200);
  },
  requireBody('SessionId, nomor, dan pesan harus diisi'),
);

laravelRoutes.openapi(
  storeRoute,
  async (c) => {
    const { phone, user_id, api_token } = body(c, StoreBody, 'Phone, user_id, and api_token are required!');
    if (!HEADER_SAFE.test(api_token)) {
      throw new ApiError('VALIDATION_FAILED', 'api_token must be printable ASCII text: it is sent as an HTTP header, so no line breaks or control characters');
    }
    const id = phoneOf(c.var.services, phone);
    await ensureRunningSession(c.var.services, { sessionId: id, phone: id, userId: user_id, webhookToken: api_token });
    return c.json({ message: 'Session stored successfully' }, 200);
  },
  requireBody('Phone, user_id, and api_token are required!'),
);
