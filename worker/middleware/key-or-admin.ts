// For routes both credentials may call (a session's own key, or the admin token for any session): the
// credential the request presents decides which authentication runs, and the handler learns which it was.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import type { RateClass } from '../key-gate/key-gate.ts';
import { adminAuth } from './admin-auth.ts';
import { apiKeyAuth } from './api-key-auth.ts';

export function keyOrAdmin(rateClass: RateClass) {
  const asAdmin = adminAuth(rateClass);
  const asKey = apiKeyAuth(rateClass);
  return createMiddleware<AppEnv>(async (c, next) => {
    // A key wins when both are sent: it is the narrower credential, and its session bounds what is answered.
    if (c.req.header('authorization') && !c.req.header('x-api-key')) {
      c.set('credential', 'admin');
      await asAdmin(c, next);
      return;
    }
    c.set('credential', 'apiKey');
    await asKey(c, next);
  });
}
