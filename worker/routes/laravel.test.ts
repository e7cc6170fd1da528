import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, type Api } from '../../testing/api.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack();
  api = apiOf(stack);
});
afterAll(() => stack.close());

async function session(id: string) {
  return (await stack.db.execute({ sql: 'select * from sessions where id = ?', args: [id] })).rows[0];
}

describe('POST /api/create-session', () => {
  it('starts a session named by the normalised phone, with the original text', async () => {
    const { status, json } = await api('POST', '/api/create-session', { admin: true, body: { phone: '0812-1111-0001' } });
    expect(status).toBe(200);
    expect(json).toEqual({ message: 'Client for 0812-1111-0001 is being initialized...' });
    expect(await session('6281211110001')).toMatchObject({ phone: '6281211110001', desired_state: 'running' });
  });

  it('accepts a form-encoded body and a numeric phone, as PHP clients send them', async () => {
    const form = await api('POST', '/api/create-session', { admin: true, body: 'phone=6281211110002', contentType: 'application/x-www-form-urlencoded' });
    expect(form.json).toEqual({ message: 'Client for 6281211110002 is being initialized...' });
    const numeric = await api('POST', '/api/create-session', { admin: true, body: { phone: 6281211110003 } });
    expect(numeric.json).toEqual({ message: 'Client for 6281211110003 is being initialized...' });
    expect(await session('6281211110003')).toBeDefined();
  });

  it.each([
    ['no phone', {}],
    ['an empty phone', { phone: '' }],
    ['a phone that is an object', { phone: { n: 1 } }],
  ])('answers %s with the original 400 text', async (_, body) => {
    const { status, json } = await api('POST', '/api/create-session', { admin: true, body });
    expect(status).toBe(400);
    expect(json).toEqual({ error: 'Phone number required!' });
  });

  it('refuses a phone that is not a number', async () => {
    const { status, json } = await api('POST', '/api/create-session', { admin: true, body: { phone: "'; DROP TABLE sessions;--" } });
    expect(status).toBe(400);
    expect(json).toEqual({ error: 'Nomor HP tidak valid!' });
    expect(Number((await stack.db.execute('select count(*) from sessions')).rows[0]?.[0])).toBeGreaterThan(0);
  });
});

describe('authentication on the Laravel surface', () => {
  it.each([
    ['no token', {}, 401],
    ['a wrong token', { authorization: 'Bearer not-the-admin-token' }, 401],
    ['a session key instead of the token', { 'x-api-key': `kbr_${'A'.repeat(43)}` }, 403],
  ])('refuses %s with {error}', async (_, headers, status) => {
    const answer = await api('POST', '/api/create-session', { headers, body: { phone: '081211110009' } });
    expect(answer.status).toBe(status);
    expect(Object.keys(answer.json)).toEqual(['error']);
    expect(await session('6281211110009')).toBeUndefined();
  });

  it('answers malformed JSON, a wrong content type and a huge body with {error}', async () => {
    const malformed = await api('POST', '/api/reset', { admin: true, body: '{"phone":' });
    expect(malformed.status).toBe(400);
    expect(Object.keys(malformed.json)).toEqual(['error']);
    const wrongType = await api('POST', '/api/reset', { admin: true, body: 'phone', contentType: 'text/plain' });
    expect(wrongType.status).toBe(415);
    const huge = await api('POST', '/api/reset', { admin: true, body: { phone: '0812', pad: 'x'.repeat(300_000) } });
    expect(huge.status).toBe(413);
    expect(huge.json).toHaveProperty('error');
  });
});

describe('a request with no content type', () => {
  it.each([
    ['POST', '/api/create-session', 'Phone number required!'],
    ['POST', '/api/delete', 'Nomor HP diperlukan!'],
    ['POST', '/api/reset', 'Nomor HP diperlukan!'],
    ['POST', '/api/send-message', 'SessionId, nomor, dan pesan harus diisi'],
    ['PUT', '/api/client/store', 'Phone, user_id, and api_token are required!'],
  ])('%s %s answers 400 with the original text', async (method, path, text) => {
    const response = await fetch(`${stack.url}${path}`, { method, headers: { authorization: `Bearer ${stack.adminToken}` } });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: text });
  });
});

describe('PUT /api/client/store', () => {
  it("stores the owner's user id and backend token, and starts the session", async () => {
    const { status, json } = await api('PUT', '/api/client/store', { admin: true, body: { phone: '081211110010', user_id: 42, api_token: 'laravel-sanctum-token|abc' } });
    expect(status).toBe(200);
    expect(json).toEqual({ message: 'Session stored successfully' });
    expect(await session('6281211110010')).toMatchObject({ user_id: '42', webhook_token: 'laravel-sanctum-token|abc', desired_state: 'running' });
  });

  it('updates the owner of an existing session', async () => {
    await api('PUT', '/api/client/store', { admin: true, body: { phone: '081211110011', user_id: 1, api_token: 'first' } });
    await api('PUT', '/api/client/store', { admin: true, body: { phone: '081211110011', user_id: 2, api_token: 'second' } });
    expect(await session('6281211110011')).toMatchObject({ user_id: '2', webhook_token: 'second' });
  });

  it.each(['line\r\nX-Injected: 1', 'tab\tinside', 'nul\u0000'])('refuses an api_token with control characters (%j) with 400, storing nothing', async (token) => {
    const { status, json } = await api('PUT', '/api/client/store', { admin: true, body: { phone: '081211110013', user_id: 1, api_token: token } });
    expect(status).toBe(400);
    expect(json).toEqual({ error: 'api_token must be printable ASCII text: it is sent as an HTTP header, so no line breaks or control characters' });
    expect(await session('6281211110013')).toBeUndefined();
  });

  it.each([{ phone: '0812' }, { phone: '081211110012', user_id: 1 }, { user_id: 1, api_token: 't' }])('answers missing fields %j with the original text', async (body) => {
    const { status, json } = await api('PUT', '/api/client/store', { admin: true, body });
    expect(status).toBe(400);
    expect(json).toEqual({ error: 'Phone, user_id, and api_token are required!' });
  });
});

describe('POST /api/send-message', () => {
  it('answers 503 while no connector is attached', async () => {
    await api('POST', '/api/create-session', { admin: true, body: { phone: '081211110020' } });
    const { status, json } = await api('POST', '/api/send-message', { admin: true, body: { sessionId: '081211110020', number: '081299990000', message: 'halo' } });
    expect(status).toBe(503);
    expect(Object.keys(json)).toEqual(['error']);
  });

  it('answers an unknown session with the original 404 text', async () => {
    const { status, json } = await api('POST', '/api/send-message', { admin: true, body: { sessionId: '6289999999999', number: '0812', message: 'x' } });
    expect([status, json]).toEqual([400, { error: 'Invalid request: number must be a phone number of 7-15 digits (a leading 0 takes country code 62)' }]);
    const unknown = await api('POST', '/api/send-message', { admin: true, body: { sessionId: '6289999999999', number: '081299990000', message: 'x' } });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: 'Session 6289999999999 tidak ditemukan atau belum login.' });
  });

  it.each([{ sessionId: 'a', number: '1' }, { number: '081299990000', message: 'x' }, {}])('answers missing fields %j with the original text', async (body) => {
    const { status, json } = await api('POST', '/api/send-message', { admin: true, body });
    expect(status).toBe(400);
    expect(json).toEqual({ error: 'SessionId, nomor, dan pesan harus diisi' });
  });
});

describe('POST /api/reset and /api/delete', () => {
  it('resets an existing session: a new login epoch, running again', async () => {
    await api('POST', '/api/create-session', { admin: true, body: { phone: '081211110030' } });
    const { status, json } = await api('POST', '/api/reset', { admin: true, body: { phone: '081211110030' } });
    expect(status).toBe(200);
    expect(json).toEqual({ message: 'Sesi 081211110030 berhasil direset dan dibuat ulang!' });
    expect(await session('6281211110030')).toMatchObject({ auth_epoch: 1, desired_state: 'running' });
  });

  it('creates the session when resetting one that does not exist, as the original did', async () => {
    expect((await api('POST', '/api/reset', { admin: true, body: { phone: '081211110031' } })).status).toBe(200);
    expect(await session('6281211110031')).toMatchObject({ auth_epoch: 0, desired_state: 'running' });
  });

  it('deletes a session with the original text', async () => {
    await api('POST', '/api/create-session', { admin: true, body: { phone: '081211110040' } });
    const { status, json } = await api('POST', '/api/delete', { admin: true, body: { phone: '081211110040' } });
    expect(status).toBe(200);
    expect(json).toEqual({ message: 'Session 081211110040 deleted successfully.' });
    expect(await session('6281211110040')).toBeUndefined();
  });

  it('answers 404 for a session that does not exist', async () => {
    const { status, json } = await api('POST', '/api/delete', { admin: true, body: { phone: '081211110049' } });
    expect(status).toBe(404);
    expect(json).toEqual({ error: 'Sesi 081211110049 tidak ditemukan!' });
  });

  it.each(['/api/delete', '/api/reset'])('answers a missing phone on %s with the original text', async (path) => {
    const { status, json } = await api('POST', path, { admin: true, body: {} });
    expect(status).toBe(400);
    expect(json).toEqual({ error: 'Nomor HP diperlukan!' });
  });
});
