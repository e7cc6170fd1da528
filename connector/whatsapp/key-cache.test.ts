import { describe, expect, it } from 'vitest';
import { createKeyCache } from './key-cache.ts';

describe('createKeyCache', () => {
  it('returns what was set until it expires', () => {
    let now = 0;
    const cache = createKeyCache({ ttlMs: 100, now: () => now });
    cache.set('session.a', { k: 1 });
    expect(cache.get('session.a')).toEqual({ k: 1 });
    now = 100;
    expect(cache.get('session.a')).toBeUndefined();
  });

  it('keeps a stored null, which Baileys uses for a deleted key', () => {
    const cache = createKeyCache();
    cache.set('pre-key.1', null);
    expect(cache.get('pre-key.1')).toBeNull();
    expect(cache.get('pre-key.2')).toBeUndefined();
  });

  it('drops the least recently written key past its size', () => {
    const cache = createKeyCache({ maxEntries: 2 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    cache.set('c', 4);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([3, undefined, 4]);
  });

  it('forgets a deleted key and everything on flush', () => {
    const cache = createKeyCache();
    cache.set('a', 1);
    cache.set('b', 2);
    cache.del('a');
    expect(cache.get('a')).toBeUndefined();
    cache.flushAll();
    expect(cache.get('b')).toBeUndefined();
  });
});
