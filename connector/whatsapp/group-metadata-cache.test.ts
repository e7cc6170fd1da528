import type { GroupMetadata } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { GROUP_CACHE_LIMITS, GroupMetadataCache } from './group-metadata-cache.ts';

const group = (n: number, members: number): GroupMetadata => ({
  id: `1203630000${n}@g.us`,
  subject: `g${n}`,
  owner: undefined,
  participants: Array.from({ length: members }, (_, i) => ({ id: `62811${String(i).padStart(7, '0')}@s.whatsapp.net`, admin: null })),
});

describe('GroupMetadataCache', () => {
  it('holds 50 groups of 256 members, and drops the least recently used beyond that', () => {
    const cache = new GroupMetadataCache();
    for (let n = 0; n < GROUP_CACHE_LIMITS.groups; n++) cache.set(group(n, 256));
    expect(cache.size).toBe(50);
    expect(cache.members).toBe(50 * 256);
    expect(cache.get(group(0, 0).id)).toBeDefined();
    cache.set(group(50, 1));
    expect(cache.size).toBe(50);
    expect(cache.get(group(0, 0).id)).toBeDefined();
    expect(cache.get(group(1, 0).id)).toBeUndefined();
  });

  it('evicts by members too, and never keeps a group larger than the whole bound', () => {
    const cache = new GroupMetadataCache({ groups: 10, members: 100 });
    cache.set(group(1, 60));
    cache.set(group(2, 30));
    cache.set(group(3, 30));
    expect(cache.get(group(1, 0).id)).toBeUndefined();
    expect(cache.members).toBe(60);
    cache.set(group(4, 101));
    expect(cache.get(group(4, 0).id)).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('forgets a group on delete and replaces it on set, counting its members once', () => {
    const cache = new GroupMetadataCache();
    cache.set(group(1, 10));
    cache.set(group(1, 20));
    expect(cache.members).toBe(20);
    cache.delete(group(1, 0).id);
    expect(cache.size).toBe(0);
    expect(cache.members).toBe(0);
  });
});
