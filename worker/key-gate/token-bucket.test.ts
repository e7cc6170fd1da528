import { describe, expect, it } from 'vitest';
import { takeToken, type Bucket } from './token-bucket.ts';

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
