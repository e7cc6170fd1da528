// For admin routes that act as one session (`/api/sessions/{sessionId}/...`): the path's session, checked to
// exist, becomes `c.var.sessionId`, as a session key makes it on the session-key routes. So both surfaces
// share one handler. Runs after adminAuth, and before any body is read: an unknown session reads none.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { SessionIdSchema } from '../schemas.ts';
import { findSession } from '../services/sessions.ts';
import { validationError } from '../validation.ts';

export function adminSession() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const parsed = SessionIdSchema.safeParse(c.req.param('sessionId'));
    if (!parsed.success) throw validationError(parsed.error);
    if (!(await findSession(c.var.services, parsed.data))) throw new ApiError('SESSION_NOT_FOUND', `Session ${parsed.data} not found`);
    c.set('sessionId', parsed.data);
    await next();
  });
}
