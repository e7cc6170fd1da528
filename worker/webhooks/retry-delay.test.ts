import { describe, expect, it } from 'vitest';
import { webhookRetryDelay } from './retry-delay.ts';

describe('webhookRetryDelay', () => {
  it('doubles from the base with each failed try', () => {
    expect([1, 2, 3, 4].map((a) => webhookRetryDelay(a, 30))).toEqual([30, 60, 120, 240]);
  });

  it('never waits more than an hour', () => {
    expect(webhookRetryDelay(20, 30)).toBe(3600);
  });

  it('retries at once with a zero base (tests, local demos)', () => {
    expect(webhookRetryDelay(5, 0)).toBe(0);
  });
});
