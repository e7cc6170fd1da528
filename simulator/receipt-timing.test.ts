import { expect, test } from 'vitest';
import { receiptDelays } from './receipt-timing.ts';

const draw = (next: () => number, n: number) => Array.from({ length: n }, next);

test('the same seed gives the same receipt delays, so a run can be replayed', () => {
  expect(draw(receiptDelays({ maxDelayMs: 300, seed: 42 }), 50)).toEqual(draw(receiptDelays({ maxDelayMs: 300, seed: 42 }), 50));
  expect(draw(receiptDelays({ maxDelayMs: 300, seed: 42 }), 50)).not.toEqual(draw(receiptDelays({ maxDelayMs: 300, seed: 43 }), 50));
});

test('delays span 0 to the maximum, both ends included, and a maximum of 0 sends every receipt at once', () => {
  const delays = draw(receiptDelays({ maxDelayMs: 3, seed: 7 }), 400);
  expect(new Set(delays)).toEqual(new Set([0, 1, 2, 3]));
  expect(draw(receiptDelays({ maxDelayMs: 0, seed: 7 }), 20).every((d) => d === 0)).toBe(true);
});
