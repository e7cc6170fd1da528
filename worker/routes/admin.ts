// Admin routes of the session-key surface (`Authorization: Bearer <ADMIN_TOKEN>`): what the admin can always
// do for a session whatever its keys' state, e.g. issue a new key when the only one was lost.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { ErrorSchema, SessionIdSchema } from '../schemas.ts';
import { rotateApiKey } from '../services/sessions.ts';
import { throwOnInvalid } from '../validation.ts';

const issueKeyRoute = createRoute({
  method: 'post',
  path: '/api/sessions/{sessionId}/keys',
  summary: "Issue a new API key for a session (admin token); the session's other keys stop working at once",
  security: [{ adminToken: [] }],
  middleware: [adminAuth('other')] as const,
  request: { params: z.object({ sessionId: SessionIdSchema }) },
  responses: {
    201: {
      description: 'The new key, shown only this once',
      content: { 'application/json': { schema: z.object({ success: z.literal(true), sessionId: z.string(), apiKey: z.string(), message: z.string() }) } },
    },
    ...Object.fromEntries([400, 401, 403, 404, 429].map((s) => [s, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }])),
  },
});

export const adminRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

adminRoutes.openapi(issueKeyRoute, async (c) => {
  const { sessionId } = c.req.valid('param');
  const apiKey = await rotateApiKey(c.var.services, sessionId);
  return c.json({ success: true as const, sessionId, apiKey, message: 'New key issued; the old keys are revoked. Store it now: it is shown only once.' }, 201);
});
