import { describe, expect, it } from 'vitest';
import { DEFAULT_PACING, PacingPolicy, dailyCap, nextSendAt, quietUntil, typingMs } from './pacing.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const policy = (input: Parameters<typeof PacingPolicy.parse>[0] = {}) => PacingPolicy.parse(input);
const sends = (...list: [number, string][]) => list.map(([ago, to]) => ({ at: NOW - ago, to }));

describe('nextSendAt', () => {
  it('lets the first send of a session go now', () => {
    expect(nextSendAt(DEFAULT_PACING, { sends: [], linkedAt: null }, '62811', NOW)).toEqual({ at: NOW, hold: null });
  });

  it('waits the minimum interval after the last send, plus the drawn share of the jitter', () => {
    const p = policy({ minIntervalMs: 5_000, jitterMs: 3_000 });
    const history = { sends: sends([1_000, 'a'], [60_000, 'b']), linkedAt: null };
    expect(nextSendAt(p, history, 'c', NOW, 0)).toEqual({ at: NOW + 4_000, hold: 'interval' });
    expect(nextSendAt(p, history, 'c', NOW, 0.5)).toEqual({ at: NOW + 5_500, hold: 'interval' });
    expect(nextSendAt(p, { sends: sends([9_000, 'a']), linkedAt: null }, 'c', NOW, 0.99).hold).toBeNull();
  });

  it('holds a recipient at its 24-hour cap until its oldest counted send turns a day old', () => {
    const p = policy({ minIntervalMs: 0, jitterMs: 0, perRecipientPerDay: 2 });
    const history = { sends: sends([3 * 3_600_000, 'a'], [2 * 3_600_000, 'a'], [60_000, 'b']), linkedAt: null };
    expect(nextSendAt(p, history, 'a', NOW)).toEqual({ at: NOW - 3 * 3_600_000 + DAY, hold: 'recipient-cap' });
    expect(nextSendAt(p, history, 'b', NOW)).toEqual({ at: NOW, hold: null });
  });

  it('holds the session at its daily cap, and a new number at the warm-up cap of its age', () => {
    const p = policy({ minIntervalMs: 0, jitterMs: 0, perDay: 100, warmup: { days: 10, startPerDay: 10 } });
    const ten = Array.from({ length: 10 }, (_, i) => ({ at: NOW - (i + 1) * 60_000, to: `r${i}` }));
    expect(nextSendAt(p, { sends: ten, linkedAt: NOW - 3_600_000 }, 'x', NOW)).toEqual({ at: NOW - 10 * 60_000 + DAY, hold: 'daily-cap' });
    // Five days in, the cap is half way: 55.
    expect(dailyCap(p, NOW - 5 * DAY, NOW)).toBe(55);
    expect(nextSendAt(p, { sends: ten, linkedAt: NOW - 5 * DAY }, 'x', NOW).hold).toBeNull();
    expect(dailyCap(p, NOW - 30 * DAY, NOW)).toBe(100);
    expect(dailyCap(p, null, NOW)).toBe(100);
  });

  it('forgets sends older than a day', () => {
    const p = policy({ perDay: 1, warmup: { days: 0, startPerDay: 1 } });
    expect(nextSendAt(p, { sends: sends([DAY + 1, 'a']), linkedAt: null }, 'a', NOW)).toEqual({ at: NOW, hold: null });
  });

  it('moves a send in quiet hours to their end, also across midnight and a UTC offset', () => {
    // 22:00-07:00 in UTC+7; NOW is 19:00 local (free), four hours later 23:00 (quiet until 07:00 local = 00:00 UTC on the 16th).
    const p = policy({ minIntervalMs: 0, jitterMs: 0, quietHours: { start: '22:00', end: '07:00', utcOffsetMinutes: 420 } });
    expect(nextSendAt(p, { sends: [], linkedAt: null }, 'a', NOW).hold).toBeNull();
    expect(nextSendAt(p, { sends: [], linkedAt: null }, 'a', NOW + 4 * 3_600_000)).toEqual({ at: Date.UTC(2026, 0, 16, 0, 0), hold: 'quiet-hours' });
    expect(nextSendAt(p, { sends: [], linkedAt: null }, 'a', Date.UTC(2026, 0, 15, 23, 0))).toEqual({ at: Date.UTC(2026, 0, 16, 0, 0), hold: 'quiet-hours' });
    const day = policy({ minIntervalMs: 0, jitterMs: 0, quietHours: { start: '13:00', end: '14:30', utcOffsetMinutes: 0 } });
    expect(nextSendAt(day, { sends: [], linkedAt: null }, 'a', NOW).hold).toBeNull();
    expect(quietUntil(day.quietHours!, NOW + 3_600_000)).toBe(Date.UTC(2026, 0, 15, 14, 30));
    // After the interval pushes the send into the quiet hours, it waits for their end too.
    const edge = policy({ minIntervalMs: 3_600_000, jitterMs: 0, quietHours: { start: '13:00', end: '14:30' } });
    expect(nextSendAt(edge, { sends: sends([0, 'a']), linkedAt: null }, 'b', NOW)).toEqual({ at: Date.UTC(2026, 0, 15, 14, 30), hold: 'quiet-hours' });
  });

  it('does not wait at all when pacing is off', () => {
    const p = policy({ enabled: false, perDay: 1 });
    expect(nextSendAt(p, { sends: sends([1, 'a'], [2, 'a']), linkedAt: NOW }, 'a', NOW)).toEqual({ at: NOW, hold: null });
    expect(typingMs(p, 'hello')).toBe(0);
  });
});

describe('typingMs', () => {
  it('is proportional to the text, capped, and none for an empty text', () => {
    expect(typingMs(DEFAULT_PACING, 'x'.repeat(10))).toBe(400);
    expect(typingMs(DEFAULT_PACING, 'x'.repeat(10_000))).toBe(4_000);
    expect(typingMs(DEFAULT_PACING, '')).toBe(0);
  });
});

describe('PacingPolicy', () => {
  it('documents its defaults', () => {
    expect(DEFAULT_PACING).toEqual({
      enabled: true,
      minIntervalMs: 5_000,
      jitterMs: 3_000,
      perRecipientPerDay: 50,
      perDay: 1_000,
      warmup: { days: 14, startPerDay: 50 },
      typing: { msPerChar: 40, maxMs: 4_000 },
      quietHours: null,
    });
  });

  it.each([{ minIntervalMs: -1 }, { perDay: 0 }, { quietHours: { start: '25:00', end: '07:00' } }, { typing: { maxMs: 'x' } }])('refuses %j', (input) => {
    expect(PacingPolicy.safeParse(input).success).toBe(false);
  });
});
