// The admin's live stream (the dashboard's): every session's events, or one session's, over a WebSocket. A
// browser cannot put the admin token on a WebSocket, so the admin first POSTs for a pass, single use and
// valid for seconds, and opens the stream with it; the Worker spends the pass at the hub before anything opens.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { connectorHub } from '../hub/hub-address.ts';
import { fanIn, relay } from '../hub/stream-fan-in.ts';
import { ALL_SESSIONS, READY_SESSIONS_MAX } from '../hub/watchers.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { ErrorSchema, SessionIdSchema } from '../schemas.ts';
import { findSession } from '../services/sessions.ts';
import type { Services } from '../services/ports.ts';
import { throwOnInvalid } from '../validation.ts';

const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }]));

const PassBody = z
  .object({ sessionId: SessionIdSchema.optional().openapi({ description: 'Watch this session only; every session when absent' }) })
  .strict()
  .openapi('StreamPassRequest');

const passRoute = createRoute({
  method: 'post',
  path: '/api/stream/passes',
  summary: 'A single-use pass to open the admin live stream with (admin token)',
  description:
    'The pass is valid for 30 seconds and opens one stream: `GET /api/stream?pass=…`. It exists because a browser cannot send the admin token on a WebSocket, and the token itself must never be in a URL.',
  security: [{ adminToken: [] }],
  middleware: [adminAuth('other')] as const,
  request: { body: { content: { 'application/json': { schema: PassBody } }, required: false } },
  responses: {
    201: {
      description: 'The pass',
      content: { 'application/json': { schema: z.object({ success: z.literal(true), pass: z.string(), expiresAt: z.number() }) } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const streamRoute = createRoute({
  method: 'get',
  path: '/api/stream',
  summary: 'Admin live stream over a WebSocket, opened with a pass from POST /api/stream/passes',
  description: `Upgrade to a WebSocket. Watching every session, the first message is \`{event:"stream.ready", data:{sessions:[…]}}\` with the ${READY_SESSIONS_MAX} most recently changed sessions (id, status, reason, QR, user); watching one, it is that session's \`stream.ready\` as on GET /api/events. Then every event as \`{id, event, sessionId, timestamp, data}\`, the webhooks' envelope, and \`{event:"session.removed", sessionId}\` when a session is deleted. Ping as on GET /api/events.`,
  security: [],
  request: { query: z.object({ pass: z.string().regex(/^[0-9a-f]{64}\.([A-Za-z0-9_.-]{1,64}|\*|~)$/, 'must be the pass from POST /api/stream/passes') }) },
  responses: {
    101: { description: 'Switching protocols' },
    426: { description: 'Not a WebSocket upgrade', content: { 'application/json': { schema: ErrorSchema } } },
    ...errorResponses(400, 401, 429),
  },
});

/** A pass's suffix: the hub that issued it (a connector's id), or one of these. */
const ALL_TARGET = '*';
const UNROUTED_TARGET = '~';

async function connectorOfSession(s: Services, sessionId: string): Promise<string | null> {
  const row = await findSession(s, sessionId);
  if (!row) throw new ApiError('SESSION_NOT_FOUND', `No session ${sessionId}`);
  return row.connectorId;
}

export const adminStreamRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

adminStreamRoutes.openapi(passRoute, async (c) => {
  const { sessionId } = c.req.valid('json') ?? {};
  // The pass says which hub issued it, so the Worker spends it there; a changed suffix finds no such pass.
  const connectorId = sessionId === undefined ? null : await connectorOfSession(c.var.services, sessionId);
  const hub = connectorId ? connectorHub(c.env.HUB, connectorId) : c.var.hubs.unrouted();
  const { pass, expiresAt } = await hub.issueStreamPass(sessionId ?? ALL_SESSIONS);
  const target = sessionId === undefined ? ALL_TARGET : (connectorId ?? UNROUTED_TARGET);
  return c.json({ success: true as const, pass: `${pass}.${target}`, expiresAt }, 201);
});

adminStreamRoutes.openapi(streamRoute, async (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new ApiError('UPGRADE_REQUIRED', 'GET /api/stream is a WebSocket: send Upgrade: websocket');
  const [pass, target] = c.req.valid('query').pass.split(/\.(.*)/s) as [string, string];
  const hub = target === ALL_TARGET || target === UNROUTED_TARGET ? c.var.hubs.unrouted() : connectorHub(c.env.HUB, target);
  // The pass is spent here, by the Worker, before anything reaches the hub's socket entry; what the hub gets
  // is a ticket it issued to this Worker just now, never a value from the client.
  const issued = await hub.redeemStreamPass(pass);
  if (issued === null) throw new ApiError('UNAUTHORISED', 'Unknown, used or expired stream pass; POST /api/stream/passes for a new one');
  if ('refused' in issued) throw new ApiError(issued.refused, issued.message);
  if (target !== ALL_TARGET) {
    return (await relay(c.req.url, hub, issued.ticket)) as unknown as never;
  }
  // Every session: the pass was spent on the unrouted hub; each connector's hub gives the Worker a ticket too.
  const tickets = [{ hub, ticket: issued.ticket }];
  for (const other of (await c.var.hubs.everyHub()).slice(1)) {
    const more = await other.issueAdminTicket(ALL_SESSIONS);
    if ('refused' in more) throw new ApiError(more.refused, more.message);
    tickets.push({ hub: other, ticket: more.ticket });
  }
  return (await fanIn(c.req.url, tickets)) as unknown as never;
});
