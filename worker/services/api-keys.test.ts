import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { API_KEY_PATTERN, hashApiKey, newApiKey } from './api-keys.ts';

describe('API keys', () => {
  it('hashes a key to the lowercase hex SHA-256 of its UTF-8 bytes, zero-padded per byte', async () => {
    for (const key of ['abc', '', 'kbr_ünïcode', 'kbr_' + 'A'.repeat(43)]) {
      expect(await hashApiKey(key)).toBe(createHash('sha256').update(key, 'utf8').digest('hex'));
    }
    // A digest with bytes below 0x10 must keep their leading zero.
    expect(await hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('makes keys that pass the format check, stored only as their hash and a short prefix', async () => {
    const { key, row } = await newApiKey('s1', { sendPerMinute: 60, otherPerMinute: 600 });
    expect(key).toMatch(API_KEY_PATTERN);
    expect(row).toMatchObject({ sessionId: 's1', keyHash: await hashApiKey(key), prefix: key.slice(0, 12), sendPerMinute: 60, otherPerMinute: 600 });
    expect(JSON.stringify(row)).not.toContain(key);
  });
});
