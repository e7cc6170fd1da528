// The cache in front of one session's Signal key store. Baileys' default (a NodeCache with a 5-minute TTL)
// measures the size of every value it stores, about 8% of the connector's CPU per send, and keeps every key
// written in the last five minutes, the 812 prekeys uploaded at pairing included, which dominated memory at
// 1,000 sessions. This one is a plain map, bounded in age and in entries.
import type { CacheStore } from '@whiskeysockets/baileys';

export interface KeyCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export function createKeyCache({ ttlMs = 60_000, maxEntries = 256, now = Date.now }: KeyCacheOptions = {}): CacheStore {
  const entries = new Map<string, { value: unknown; expires: number }>();
  return {
    get<T>(key: string): T | undefined {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expires <= now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.value as T;
    },
    set<T>(key: string, value: T): void {
      // Re-inserting moves the key to the end, so the first key in the map is the least recently written.
      entries.delete(key);
      entries.set(key, { value, expires: now() + ttlMs });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    del(key: string): void {
      entries.delete(key);
    },
    flushAll(): void {
      entries.clear();
    },
  };
}
