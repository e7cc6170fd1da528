// Admin authentication (`Authorization: Bearer <ADMIN_TOKEN>`), used by the Laravel surface and session
// creation, with its own rate limit and a budget of failed attempts per client address.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import type { RateClass } from '../key-gate/key-gate.ts';
import { clientAddress, clientOf } from './client-address.ts';
import { applyRateDecision, tooManyFailures } from './rate-limit-headers.ts';

const encoder = new TextEncoder();
const HOUR_MS = 3_600_000;

/** Compares digests so neither the length nor the content of the token leaks through timing. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(given)),
    crypto.subtle.digest('SHA-256', encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export async function isAdmin(authorization: string | undefined, adminToken: string): Promise<boolean> {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  return !!match?.[1] && (await sameSecret(match[1], adminToken));
}

export function adminAuth(rateClass: RateClass, options: { allowAnonymous?: (c: { var: AppEnv['Variables'] }) => boolean } = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const { config } = c.var.services;
    const authorization = c.req.header('authorization');
    if (!authorization && options.allowAnonymous?.(c)) {
      // Open to anyone, so limited per address: one caller cannot fill the database.
      const decision = await c.env.KEY_GATE.get(c.env.KEY_GATE.idFromName(`address:${clientAddress(c)}`)).admitFixed(
        'anonymous',
        config.OPEN_SESSION_CREATE_PER_HOUR,
        HOUR_MS,
      );
      applyRateDecision(c, decision);
      c.set('anonymous', true);
      return next();
    }
    if (!authorization) {
      if (c.req.header('x-api-key')) throw new ApiError('FORBIDDEN', 'This route needs the admin token as Authorization: Bearer <admin token>; a session API key cannot call it');
      throw new ApiError('UNAUTHORISED', 'Missing Authorization: Bearer <admin token> header');
    }
    const valid = await isAdmin(authorization, config.ADMIN_TOKEN);
    const perMinute = rateClass === 'send' ? config.ADMIN_RATE_LIMIT_SEND_PER_MIN : config.ADMIN_RATE_LIMIT_OTHER_PER_MIN;
    const admission = await c.env.KEY_GATE.get(c.env.KEY_GATE.idFromName('admin')).admitAdmin(valid, rateClass, perMinute, clientOf(c));
    if (!admission.ok) {
      if (admission.reason === 'throttled') throw tooManyFailures(admission.decision);
      throw new ApiError('UNAUTHORISED', 'Invalid admin token');
    }
    c.set('anonymous', false);
    applyRateDecision(c, admission.decision);
    await next();
  });
}
