import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache.ts';

describe('BoundedCache', () => {
  it('makes a value once and hands the same one back while it is kept', () => {
    const cache = new BoundedCache<string, { text: string }>(2);
    let made = 0;
    const make = (text: string) => ({ text, n: made++ });
    const first = cache.get('a', make);
    expect(cache.get('a', make)).toBe(first);
    expect(made).toBe(1);
  });

  it('keeps no more than its capacity, dropping the least recently used', () => {
    const cache = new BoundedCache<number, number>(3);
    const made: number[] = [];
    const make = (key: number) => (made.push(key), key * 10);
    for (const key of [1, 2, 3]) cache.get(key, make);
    cache.get(1, make); // 2 is now the least recently used
    for (let key = 4; key < 100; key++) cache.get(key, make);
    expect(cache.size).toBe(3);
    made.length = 0;
    cache.get(99, make);
    cache.get(1, make);
    expect(made).toEqual([1]);

    const lru = new BoundedCache<number, number>(2);
    lru.get(1, make);
    lru.get(2, make);
    lru.get(1, make);
    lru.get(3, make); // evicts 2, not 1
    made.length = 0;
    lru.get(1, make);
    lru.get(2, make);
    expect(made).toEqual([2]);
  });

  it('forgets everything on clear, so each key is made again', () => {
    const cache = new BoundedCache<string, string>(4);
    const made: string[] = [];
    const make = (key: string) => (made.push(key), key.toUpperCase());
    cache.get('a', make);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get('a', make)).toBe('A');
    expect(made).toEqual(['a', 'a']);
  });
});
