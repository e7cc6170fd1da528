// Rate limiting as a token bucket: a full window's allowance can burst, then it refills evenly. Pure, so
// the arithmetic is tested directly; exactness comes from running it inside one Durable Object per bucket.

export interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** The window `limit` refers to (RateLimit-Policy `w=`). */
  windowSeconds: number;
  remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** Seconds until one request is allowed again; 0 when allowed. */
  retryAfterSeconds: number;
}

const MINUTE_MS = 60_000;

/** `limit` requests per `windowMs` (a minute unless given). */
export function takeToken(bucket: Bucket | undefined, limit: number, now: number, windowMs = MINUTE_MS): { bucket: Bucket; decision: RateDecision } {
  const refillPerMs = limit / windowMs;
  const previous = bucket ?? { tokens: limit, updatedAt: now };
  const elapsed = Math.max(0, now - previous.updatedAt);
  const available = Math.min(limit, previous.tokens + elapsed * refillPerMs);
  const allowed = available >= 1;
  const tokens = allowed ? available - 1 : available;
  return {
    bucket: { tokens, updatedAt: now },
    decision: {
      allowed,
      limit,
      windowSeconds: Math.round(windowMs / 1000),
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil((limit - tokens) / refillPerMs / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)),
    },
  };
}

/** Whether a request would be allowed now, without taking a token. */
export function wouldAllow(bucket: Bucket | undefined, limit: number, now: number, windowMs = MINUTE_MS): RateDecision {
  return takeToken(bucket, limit, now, windowMs).decision;
}

/**
 * Of several buckets of one lineage (the keys a rotation replaces), the one with the least left: the new
 * key continues from it instead of starting full.
 */
export function leastFull(buckets: Bucket[]): Bucket | undefined {
  return buckets.reduce<Bucket | undefined>((least, b) => (least === undefined || b.tokens < least.tokens ? b : least), undefined);
}
