import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack({
    RATE_LIMIT_SEND_PER_MIN: '3',
    RATE_LIMIT_OTHER_PER_MIN: '5',
    ADMIN_RATE_LIMIT_OTHER_PER_MIN: '40',
    ALLOW_OPEN_SESSION_CREATE: 'true',
    CORS_ORIGINS: 'https://app.example.com',
  });
  api = apiOf(stack);
});
afterAll(() => stack.close());

describe('rate limiting per API key', () => {
  it('counts down RateLimit-Remaining and refuses the request past the limit with 429 and Retry-After', async () => {
    const { apiKey } = await createSession(api);
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await api('GET', '/api/session/status', { key: apiKey });
      expect(answer.status).toBe(200);
      remaining.push(answer.headers.get('ratelimit-remaining') ?? '');
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    const refused = await api('GET', '/api/session/status', { key: apiKey });
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ success: false, code: 'RATE_LIMITED' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit-limit')).toBe('5');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
  });

  it('limits sends separately from other calls, before trying the connector', async () => {
    const { apiKey } = await createSession(api);
    for (let i = 0; i < 3; i++) {
      expect((await api('POST', '/api/send', { key: apiKey, body: { to: '081234567890', message: 'x' } })).status).toBe(503);
    }
    expect((await api('POST', '/api/send', { key: apiKey, body: { to: '081234567890', message: 'x' } })).status).toBe(429);
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(200);
  });

  it('counts exactly under concurrency: of 20 parallel calls with a limit of 5, exactly 5 pass', async () => {
    const { apiKey } = await createSession(api);
    const statuses = await Promise.all(Array.from({ length: 20 }, () => api('GET', '/api/session/status', { key: apiKey }).then((a) => a.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  });

  it("does not let one key's traffic limit another key", async () => {
    const a = await createSession(api);
    const b = await createSession(api);
    for (let i = 0; i < 6; i++) await api('GET', '/api/session/status', { key: a.apiKey });
    expect((await api('GET', '/api/session/status', { key: a.apiKey })).status).toBe(429);
    expect((await api('GET', '/api/session/status', { key: b.apiKey })).status).toBe(200);
  });
});

describe('open session creation', () => {
  it('creates a session without the admin token when ALLOW_OPEN_SESSION_CREATE=true, but still refuses a wrong token', async () => {
    expect((await api('POST', '/api/session/create', { body: {} })).status).toBe(201);
    expect((await api('POST', '/api/session/create', { body: {}, headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin and names it', async () => {
    const response = await fetch(`${stack.url}/api/send`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key,content-type' },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(response.headers.get('access-control-allow-headers')).toContain('x-api-key');
  });

  it('does not allow another origin', async () => {
    const response = await fetch(`${stack.url}/api/session/status`, { headers: { origin: 'https://evil.example.net' } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
