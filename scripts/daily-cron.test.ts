import { describe, expect, it } from 'vitest';
import { nextDailyRun } from './daily-cron.ts';

describe('nextDailyRun', () => {
  it('fires later the same day when the time is still ahead, in UTC', () => {
    expect(nextDailyRun('17 3 * * *', new Date('2026-12-01T01:00:00Z'))?.toISOString()).toBe('2026-12-01T03:17:00.000Z');
  });

  it('fires the next day once the time has passed, and not again at the very minute it fired', () => {
    expect(nextDailyRun('17 3 * * *', new Date('2026-12-01T03:17:00Z'))?.toISOString()).toBe('2026-12-02T03:17:00.000Z');
    expect(nextDailyRun('0 0 * * *', new Date('2026-12-31T23:59:59Z'))?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it.each(['*/5 * * * *', '17 3 * * 1', '60 3 * * *', '17 24 * * *', 'daily'])('refuses %s, which is not a fixed daily time', (cron) => {
    expect(nextDailyRun(cron, new Date('2026-12-01T00:00:00Z'))).toBeNull();
  });
});
