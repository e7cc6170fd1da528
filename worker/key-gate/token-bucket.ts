// Rate limiting as a token bucket: a full minute's allowance can burst, then it refills evenly. Pure, so
// the arithmetic is tested directly; exactness comes from running it inside one Durable Object per key.

export interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** Seconds until one request is allowed again; 0 when allowed. */
  retryAfterSeconds: number;
}

const MINUTE_MS = 60_000;

export function takeToken(bucket: Bucket | undefined, perMinute: number, now: number): { bucket: Bucket; decision: RateDecision } {
  const refillPerMs = perMinute / MINUTE_MS;
  const previous = bucket ?? { tokens: perMinute, updatedAt: now };
  const elapsed = Math.max(0, now - previous.updatedAt);
  const available = Math.min(perMinute, previous.tokens + elapsed * refillPerMs);
  const allowed = available >= 1;
  const tokens = allowed ? available - 1 : available;
  return {
    bucket: { tokens, updatedAt: now },
    decision: {
      allowed,
      limit: perMinute,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil((perMinute - tokens) / refillPerMs / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)),
    },
  };
}
