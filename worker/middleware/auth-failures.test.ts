import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack({ AUTH_FAILURES_PER_MIN: '3' });
  api = apiOf(stack);
});
afterAll(() => stack.close());

/** Each test speaks from its own addresses, as the edge states them in CF-Connecting-IP. */
const from = (address: string) => ({ 'cf-connecting-ip': address });
const unknownKey = (n: number) => `kbr_${String(n).padStart(43, 'A')}`;

describe('failed authentication is limited per client address', () => {
  it('refuses wrong admin tokens past the budget with 429, then even the right token from that address', async () => {
    const wrong = { ...from('203.0.113.1'), authorization: 'Bearer wrong-token-wrong-token' };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api('POST', '/api/create-session', { headers: wrong, body: { phone: '081233330001' } })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    // A right guess must look like any other guess once the address is over its budget.
    const right = await api('POST', '/api/create-session', { headers: { ...from('203.0.113.1'), authorization: `Bearer ${stack.adminToken}` }, body: { phone: '081233330001' } });
    expect(right.status).toBe(429);
    expect(Object.keys(right.json)).toEqual(['error']);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another address is not affected.
    const other = await api('POST', '/api/create-session', { headers: { ...from('203.0.113.2'), authorization: `Bearer ${stack.adminToken}` }, body: { phone: '081233330001' } });
    expect(other.status).toBe(200);
  });

  it('refuses unknown session keys past the budget, and does not look up new keys for that address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api('GET', '/api/session/status', { key: unknownKey(i), headers: from('203.0.113.3') })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    // A key this address has not tried yet is refused before any lookup, even a valid one.
    const { apiKey } = await createSession(api);
    const blocked = await api('GET', '/api/session/status', { key: apiKey, headers: from('203.0.113.3') });
    expect(blocked.status).toBe(429);
    expect(blocked.json.code).toBe('RATE_LIMITED');
    expect((await api('GET', '/api/session/status', { key: apiKey, headers: from('203.0.113.4') })).status).toBe(200);
  });

  it('counts revoked keys as failures too', async () => {
    const { apiKey } = await createSession(api);
    const rotated = await api('POST', '/api/session/rotate-key', { key: apiKey, headers: from('203.0.113.5') });
    expect(rotated.status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api('GET', '/api/session/status', { key: apiKey, headers: from('203.0.113.5') })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});
