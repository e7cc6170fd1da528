// Session-key authentication (`x-api-key`) and its rate limit, in one call to the key's gate.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import type { Admission, RateClass } from '../key-gate/key-gate.ts';
import { API_KEY_PATTERN, hashApiKey } from '../services/api-keys.ts';
import { clientOf } from './client-address.ts';
import { applyRateDecision, tooManyFailures } from './rate-limit-headers.ts';

/** The admin token is a Bearer for admin routes; say so instead of a bare 401 when a caller mixes them up. */
const KEY_HINT = 'session API keys look like kbr_… and go in x-api-key; the admin token is not accepted on session routes';

function refusal(admission: Exclude<Admission, { ok: true }>): ApiError {
  switch (admission.reason) {
    case 'throttled':
      return tooManyFailures(admission.decision);
    case 'revoked':
      return new ApiError('UNAUTHORISED', 'API key revoked');
    default:
      return new ApiError('UNAUTHORISED', 'Invalid API key');
  }
}

/**
 * `allowQuery` also takes the key from `?apiKey=`, for the one route browsers must reach without custom
 * headers (a WebSocket); elsewhere a key in a URL would end up in logs.
 */
export function apiKeyAuth(rateClass: RateClass, options: { allowQuery?: boolean } = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = c.req.header('x-api-key') ?? (options.allowQuery ? c.req.query('apiKey') : undefined);
    if (!key) {
      if (c.req.header('authorization')) throw new ApiError('UNAUTHORISED', `Missing x-api-key header: ${KEY_HINT}`);
      throw new ApiError('UNAUTHORISED', 'Missing x-api-key header');
    }
    if (!API_KEY_PATTERN.test(key)) throw new ApiError('UNAUTHORISED', `Invalid API key: ${KEY_HINT}`);
    const hash = await hashApiKey(key);
    const admission = await c.env.KEY_GATE.get(c.env.KEY_GATE.idFromName(hash)).admitKey(hash, rateClass, clientOf(c));
    if (!admission.ok) throw refusal(admission);
    applyRateDecision(c, admission.decision);
    c.set('sessionId', admission.sessionId);
    c.set('keyHash', hash);
    c.set('connectorId', admission.connectorId);
    await next();
  });
}
