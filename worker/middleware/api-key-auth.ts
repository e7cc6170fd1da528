// Session-key authentication (`x-api-key`) and its rate limit, in one call to the key's gate.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import type { RateClass } from '../key-gate/key-gate.ts';
import { API_KEY_PATTERN, hashApiKey } from '../services/api-keys.ts';
import { applyRateDecision } from './rate-limit-headers.ts';

/**
 * `allowQuery` also takes the key from `?apiKey=`, for the one route browsers must reach without custom
 * headers (a WebSocket); elsewhere a key in a URL would end up in logs.
 */
export function apiKeyAuth(rateClass: RateClass, options: { allowQuery?: boolean } = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = c.req.header('x-api-key') ?? (options.allowQuery ? c.req.query('apiKey') : undefined);
    if (!key) throw new ApiError('UNAUTHORISED', 'Missing x-api-key header');
    if (!API_KEY_PATTERN.test(key)) throw new ApiError('UNAUTHORISED', 'Invalid API key');
    const hash = await hashApiKey(key);
    const admission = await c.env.KEY_GATE.get(c.env.KEY_GATE.idFromName(hash)).admitKey(hash, rateClass);
    if (!admission.ok) {
      throw new ApiError('UNAUTHORISED', admission.reason === 'revoked' ? 'API key revoked' : 'Invalid API key');
    }
    applyRateDecision(c, admission.decision);
    c.set('sessionId', admission.sessionId);
    c.set('keyHash', hash);
    await next();
  });
}
