import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PINNED_WA_VERSION, parseWaVersion, resolveWaVersion } from './wa-version.ts';

const logger = pino({ level: 'silent' });

describe('the WhatsApp version the connector announces', () => {
  it('parses three dot-separated numbers and nothing else', () => {
    expect(parseWaVersion('2.3000.1043857760')).toEqual([2, 3000, 1043857760]);
    expect(parseWaVersion('2.3000')).toBeNull();
    expect(parseWaVersion('2.3000.x')).toBeNull();
  });

  it('is the pin without fetching unless fetching is asked for', async () => {
    expect(await resolveWaVersion({ pinned: [2, 3000, 1], logger })).toEqual([2, 3000, 1]);
  });

  it('is the fetched version when the fetch answers', async () => {
    const fetchLatest = async () => ({ version: [2, 3000, 99], isLatest: true });
    expect(await resolveWaVersion({ pinned: PINNED_WA_VERSION, fetchLatest, logger })).toEqual([2, 3000, 99]);
  });

  it('falls back to the pin when the fetch fails or throws', async () => {
    const failed = async () => ({ version: [2, 3000, 5], isLatest: false, error: new Error('offline') });
    expect(await resolveWaVersion({ pinned: [2, 3000, 1], fetchLatest: failed, logger })).toEqual([2, 3000, 1]);
    const throws = async () => Promise.reject(new Error('boom'));
    expect(await resolveWaVersion({ pinned: [2, 3000, 1], fetchLatest: throws, logger })).toEqual([2, 3000, 1]);
  });

  it('falls back to the pin when the fetch does not answer in time, and aborts it', async () => {
    let aborted = false;
    const hangs = (signal: AbortSignal) =>
      new Promise<never>(() => signal.addEventListener('abort', () => (aborted = true)));
    expect(await resolveWaVersion({ pinned: [2, 3000, 1], fetchLatest: hangs, timeoutMs: 10, logger })).toEqual([2, 3000, 1]);
    expect(aborted).toBe(true);
  });
});
