import { describe, expect, it } from 'vitest';
import { RecordCache } from './record-cache.ts';

/** A load the test finishes by hand, so a forget() can arrive while it is in flight. */
function manualLoads<T>() {
  const pending: ((value: T) => void)[] = [];
  let calls = 0;
  return {
    load: () => {
      calls++;
      return new Promise<T>((resolve) => pending.push(resolve));
    },
    finish: (value: T) => pending.shift()?.(value),
    get calls() {
      return calls;
    },
  };
}

describe('RecordCache', () => {
  it('loads once and answers later calls from memory', async () => {
    const loads = manualLoads<string>();
    const cache = new RecordCache(loads.load);
    const first = cache.get();
    loads.finish('live');
    expect(await first).toBe('live');
    expect(await cache.get()).toBe('live');
    expect(loads.calls).toBe(1);
  });

  it('shares one load between calls that arrive while it is in flight', async () => {
    const loads = manualLoads<string>();
    const cache = new RecordCache(loads.load);
    const a = cache.get();
    const b = cache.get();
    loads.finish('live');
    expect(await Promise.all([a, b])).toEqual(['live', 'live']);
    expect(loads.calls).toBe(1);
  });

  it('does not keep a row read before a revocation whose forget() arrived during the load', async () => {
    const loads = manualLoads<string>();
    const cache = new RecordCache(loads.load);
    const inFlight = cache.get();
    // The revocation commits and tells the gate to forget while the first read is still on its way back.
    cache.forget();
    loads.finish('live (read before the revocation)');
    // The request that started before the revocation may use what it read...
    expect(await inFlight).toBe('live (read before the revocation)');
    // ...but the next one reads the database again and sees the revocation.
    const next = cache.get();
    loads.finish('revoked');
    expect(await next).toBe('revoked');
  });

  it('reloads a row older than its maximum age, so a lost forget() cannot keep a revoked key alive for ever', async () => {
    let now = 0;
    let version = 0;
    const cache = new RecordCache(async () => `v${++version}`, { maxAgeMs: 1000, now: () => now });
    expect(await cache.get()).toBe('v1');
    now = 999;
    expect(await cache.get()).toBe('v1');
    now = 1001;
    expect(await cache.get()).toBe('v2');
  });
});
