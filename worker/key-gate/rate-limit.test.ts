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
    OPEN_SESSION_CREATE_PER_HOUR: '3',
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

  it('keeps the send limit across a key rotation: the new key continues the old key\'s bucket', async () => {
    const { apiKey } = await createSession(api);
    for (let i = 0; i < 3; i++) {
      expect((await api('POST', '/api/send', { key: apiKey, body: { to: '081234567890', message: 'x' } })).status).toBe(503);
    }
    expect((await api('POST', '/api/send', { key: apiKey, body: { to: '081234567890', message: 'x' } })).status).toBe(429);
    const rotated = await api('POST', '/api/session/rotate-key', { key: apiKey });
    expect(rotated.status).toBe(200);
    const next = await api('POST', '/api/send', { key: rotated.json.apiKey, body: { to: '081234567890', message: 'x' } });
    expect(next.status).toBe(429);
    expect(next.json.code).toBe('RATE_LIMITED');
  });

  it('keeps the limits when the admin issues a new key too', async () => {
    const { sessionId, apiKey } = await createSession(api);
    for (let i = 0; i < 3; i++) await api('POST', '/api/send', { key: apiKey, body: { to: '081234567890', message: 'x' } });
    const issued = await api('POST', `/api/sessions/${sessionId}/keys`, { admin: true });
    expect(issued.status).toBe(201);
    expect((await api('POST', '/api/send', { key: issued.json.apiKey, body: { to: '081234567890', message: 'x' } })).status).toBe(429);
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
  // Each test speaks from its own address: anonymous creation is limited per address.
  const from = (address: string) => ({ 'cf-connecting-ip': address });

  it('creates a session without the admin token when ALLOW_OPEN_SESSION_CREATE=true, but still refuses a wrong token', async () => {
    const created = await api('POST', '/api/session/create', { body: {}, headers: from('198.51.100.1') });
    expect(created.status).toBe(201);
    const row = await stack.db.execute({ sql: 'select created_by from sessions where id = ?', args: [created.json.sessionId] });
    expect(row.rows[0]?.created_by).toBe('anonymous');
    expect((await api('POST', '/api/session/create', { body: {}, headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
  });

  it('does not let an anonymous caller choose the session id, so it cannot take a phone the admin will create', async () => {
    const squat = await api('POST', '/api/session/create', {
      body: { sessionId: '6281277770001', webhookUrl: 'https://attacker.example/hook', webhookSecret: 'attacker-secret-0123' },
      headers: from('198.51.100.2'),
    });
    expect(squat.status).toBe(403);
    expect(squat.json.error).toContain('admin token');
    expect((await stack.db.execute({ sql: 'select * from sessions where id = ?', args: ['6281277770001'] })).rows).toHaveLength(0);
    // The admin's session for that phone is the admin's alone: no webhook, no key it did not make.
    expect((await api('POST', '/api/create-session', { admin: true, body: { phone: '081277770001' } })).status).toBe(200);
    const stored = await api('PUT', '/api/client/store', { admin: true, body: { phone: '081277770001', user_id: 7, api_token: 'admin-laravel-token' } });
    expect(stored.status).toBe(200);
    const row = (await stack.db.execute({ sql: 'select * from sessions where id = ?', args: ['6281277770001'] })).rows[0];
    expect(row).toMatchObject({ created_by: 'admin', webhook_url: null, webhook_secret: null, webhook_token: 'admin-laravel-token' });
    expect((await stack.db.execute({ sql: 'select * from api_keys where session_id = ?', args: ['6281277770001'] })).rows).toHaveLength(0);
  });

  it("refuses the admin's Laravel routes on an anonymously created session with 409, and changes nothing", async () => {
    const created = await api('POST', '/api/session/create', { body: { webhookUrl: 'https://attacker.example/hook' }, headers: from('198.51.100.3') });
    expect(created.status).toBe(201);
    const id = created.json.sessionId as string;
    const before = (await stack.db.execute({ sql: 'select * from sessions where id = ?', args: [id] })).rows[0];
    const reset = await api('POST', '/api/reset', { admin: true, body: { phone: id } });
    expect(reset.status).toBe(409);
    expect(reset.json.error).toContain('anonymous');
    const send = await api('POST', '/api/send-message', { admin: true, body: { sessionId: id, number: '081234567890', message: 'secret' } });
    expect(send.status).toBe(409);
    expect((await stack.db.execute({ sql: 'select * from sessions where id = ?', args: [id] })).rows[0]).toEqual(before);
    // The admin may still remove it.
    expect((await api('POST', '/api/delete', { admin: true, body: { phone: id } })).status).toBe(200);
  });

  it('limits anonymous creation per client address (OPEN_SESSION_CREATE_PER_HOUR), and the admin is not limited by it', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api('POST', '/api/session/create', { body: {}, headers: from('198.51.100.4') })).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const refused = await api('POST', '/api/session/create', { body: {}, headers: from('198.51.100.4') });
    expect(refused.json.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(60);
    expect((await api('POST', '/api/session/create', { body: {}, headers: from('198.51.100.5') })).status).toBe(201);
    expect((await api('POST', '/api/session/create', { admin: true, body: {} })).status).toBe(201);
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
