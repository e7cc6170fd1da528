import { describe, expect, it } from 'vitest';
import { DEFAULT_RECONNECT_DELAY, nextReconnectDelay } from './reconnect-delay.ts';

describe('nextReconnectDelay', () => {
  it('doubles the ceiling with each attempt', () => {
    const top = () => 1;
    expect([0, 1, 2, 3].map((a) => nextReconnectDelay(a, { baseMs: 100, maxMs: 10_000 }, top))).toEqual([100, 200, 400, 800]);
  });

  it('never goes below half the ceiling, so retries never become a tight loop', () => {
    expect(nextReconnectDelay(3, { baseMs: 100, maxMs: 10_000 }, () => 0)).toBe(400);
  });

  it('is capped at maxMs however many attempts have failed', () => {
    expect(nextReconnectDelay(1_000, DEFAULT_RECONNECT_DELAY, () => 1)).toBe(DEFAULT_RECONNECT_DELAY.maxMs);
  });

  it('spreads connectors out with jitter between half and the full ceiling', () => {
    expect(nextReconnectDelay(2, { baseMs: 1_000, maxMs: 60_000 }, () => 0.5)).toBe(3_000);
  });

  it('treats negative or fractional attempts as the first attempt or rounds them down', () => {
    const top = () => 1;
    expect(nextReconnectDelay(-5, { baseMs: 100, maxMs: 1_000 }, top)).toBe(100);
    expect(nextReconnectDelay(1.9, { baseMs: 100, maxMs: 1_000 }, top)).toBe(200);
  });
});
