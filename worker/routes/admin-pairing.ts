// Pairing by code for the admin (the dashboard's "link with phone number"): POST /api/session/pair with the
// admin token instead of the session's key, for any session.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { ErrorSchema, SessionIdSchema } from '../schemas.ts';
import { requestPairingCode } from '../services/pairing.ts';
import { findSession } from '../services/sessions.ts';
import { throwOnInvalid } from '../validation.ts';
import { PairBody } from './session-key.ts';

const adminPairRoute = createRoute({
  method: 'post',
  path: '/api/sessions/{sessionId}/pair',
  summary: 'Ask for a pairing code for a session (admin token); as POST /api/session/pair',
  security: [{ adminToken: [] }],
  middleware: [adminAuth('other')] as const,
  request: { params: z.object({ sessionId: SessionIdSchema }), body: { content: { 'application/json': { schema: PairBody } }, required: true } },
  responses: {
    200: {
      description: 'The code, also sent as a pairing.code event',
      content: { 'application/json': { schema: z.object({ success: z.literal(true), code: z.string().openapi({ example: 'ABCD-EFGH' }), expiresAt: z.number().int() }) } },
    },
    ...Object.fromEntries([400, 401, 403, 404, 409, 413, 415, 429, 502, 503, 504].map((s) => [s, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }])),
  },
});

export const adminPairingRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

adminPairingRoutes.openapi(adminPairRoute, async (c) => {
  const { sessionId } = c.req.valid('param');
  if (!(await findSession(c.var.services, sessionId))) throw new ApiError('SESSION_NOT_FOUND', `No session ${sessionId}`);
  const { code, expiresAt } = await requestPairingCode(c.var.services, sessionId, c.req.valid('json').phone);
  return c.json({ success: true as const, code, expiresAt }, 200);
});
