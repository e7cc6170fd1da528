import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Fence, fenceAfterMs, renewEveryMs } from './fence.ts';

describe('fence', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000 }));
  afterEach(() => vi.useRealTimers());

  it('stops sessions at three quarters of the lease and renews three times inside that window', () => {
    expect(fenceAfterMs(30_000)).toBe(22_500);
    expect(renewEveryMs(15_000, 30_000)).toBe(7_500);
    // Without a lease (an older hub) the heartbeat alone paces the pings.
    expect(renewEveryMs(15_000, undefined)).toBe(15_000);
  });

  it('fires once per lapse, counted from when the renewing ping was sent, and never while renewals come', () => {
    const fired: number[] = [];
    const fence = new Fence({ onFenced: (silentMs) => fired.push(silentMs) });
    // The ping was sent 70 ms ago: the fence window (75 ms) has 5 ms left.
    fence.renewed(Date.now() - 70, 100);
    vi.advanceTimersByTime(4);
    fence.renewed(Date.now(), 100);
    vi.advanceTimersByTime(74);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([75]);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual([75]);
    fence.stop();
  });

  it('does nothing without a lease (a hub that announces none)', () => {
    const fired: number[] = [];
    const fence = new Fence({ onFenced: (silentMs) => fired.push(silentMs) });
    fence.renewed(Date.now(), undefined);
    vi.advanceTimersByTime(60_000);
    expect(fired).toEqual([]);
  });
});
