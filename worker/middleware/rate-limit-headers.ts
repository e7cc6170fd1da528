// RateLimit-* response headers (IETF draft) and the 429 for a refused request.
import type { Context } from 'hono';
import { ApiError } from '../errors.ts';
import type { RateDecision } from '../key-gate/token-bucket.ts';

export function applyRateDecision(c: Context, decision: RateDecision): void {
  const headers = {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(decision.resetSeconds),
    'RateLimit-Policy': `${decision.limit};w=${decision.windowSeconds}`,
  };
  if (!decision.allowed) {
    throw new ApiError('RATE_LIMITED', `Rate limit of ${decision.limit} requests per ${decision.windowSeconds === 60 ? 'minute' : `${decision.windowSeconds} s`} exceeded; retry in ${decision.retryAfterSeconds} s`, {
      headers: { ...headers, 'Retry-After': String(decision.retryAfterSeconds) },
    });
  }
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
}

/** An address that failed authentication too often: nothing it sends is looked at until the budget refills. */
export function tooManyFailures(decision: RateDecision): ApiError {
  return new ApiError('RATE_LIMITED', `Too many failed authentications from this address; retry in ${decision.retryAfterSeconds} s`, {
    headers: { 'Retry-After': String(decision.retryAfterSeconds) },
  });
}
