import { describe, expect, it } from 'vitest';
import { leastFull, takeToken, type Bucket } from './token-bucket.ts';

function drain(perMinute: number, count: number, now: number): Bucket | undefined {
  let bucket: Bucket | undefined;
  for (let i = 0; i < count; i++) bucket = takeToken(bucket, perMinute, now).bucket;
  return bucket;
}

describe('takeToken', () => {
  it('allows a full minute of requests at once and refuses the next one', () => {
    const bucket = drain(60, 60, 1_000);
    const { decision } = takeToken(bucket, 60, 1_000);
    expect(decision).toMatchObject({ allowed: false, limit: 60, remaining: 0, retryAfterSeconds: 1 });
  });

  it('counts down remaining with each request', () => {
    const first = takeToken(undefined, 10, 0);
    expect(first.decision).toMatchObject({ allowed: true, remaining: 9 });
    const second = takeToken(first.bucket, 10, 0);
    expect(second.decision.remaining).toBe(8);
  });

  it('refills one token per (60 / limit) seconds', () => {
    const empty = drain(60, 60, 0);
    expect(takeToken(empty, 60, 999).decision.allowed).toBe(false);
    expect(takeToken(empty, 60, 1_000).decision.allowed).toBe(true);
  });

  it('never refills past the limit after a long idle', () => {
    const bucket = drain(5, 1, 0);
    const { decision } = takeToken(bucket, 5, 10 * 60_000);
    expect(decision.remaining).toBe(4);
  });

  it('reports when the bucket is full again', () => {
    const { decision } = takeToken(drain(60, 30, 0), 60, 0);
    expect(decision.resetSeconds).toBe(31);
  });

  it('tells a refused caller how long to wait for one token', () => {
    const { decision } = takeToken(drain(6, 6, 0), 6, 0);
    expect(decision.retryAfterSeconds).toBe(10);
  });
});

describe('takeToken over a longer window', () => {
  it('allows `limit` per window and refills one token per (window / limit)', () => {
    const hour = 3_600_000;
    let bucket: Bucket | undefined;
    for (let i = 0; i < 3; i++) bucket = takeToken(bucket, 3, 0, hour).bucket;
    const refused = takeToken(bucket, 3, 0, hour).decision;
    expect(refused).toMatchObject({ allowed: false, windowSeconds: 3600, retryAfterSeconds: 1200 });
    expect(takeToken(bucket, 3, hour / 3, hour).decision.allowed).toBe(true);
  });
});

describe('leastFull', () => {
  it('picks the bucket with the fewest tokens, so a rotation never hands a key more than its lineage had', () => {
    expect(leastFull([{ tokens: 5, updatedAt: 1 }, { tokens: 0.5, updatedAt: 2 }, { tokens: 3, updatedAt: 3 }])).toEqual({ tokens: 0.5, updatedAt: 2 });
    expect(leastFull([])).toBeUndefined();
  });
});
