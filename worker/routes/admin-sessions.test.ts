// The admin's sessions resource through the real Worker in workerd and a scripted connector: each route's
// answer and effect, and each refusal (malformed, missing, unauthorised, not found) leaving state unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

let stack: Stack;
let api: Api;
let connector: ScriptedConnector;

beforeAll(async () => {
  stack = await startStack();
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'vps-1' })).script;
});
afterAll(async () => {
  await connector.close();
  await stack.close();
});

async function row(sessionId: string) {
  return (await stack.db.execute({ sql: 'select * from sessions where id = ?', args: [sessionId] })).rows[0];
}

async function allRows() {
  return JSON.stringify((await stack.db.execute('select * from sessions order by id')).rows);
}

describe('who may call the admin routes', () => {
  const routes: [string, string, unknown?][] = [
    ['GET', '/api/sessions'],
    ['POST', '/api/sessions', {}],
    ['GET', '/api/sessions/auth-1'],
    ['PATCH', '/api/sessions/auth-1', { description: 'x' }],
    ['DELETE', '/api/sessions/auth-1'],
    ['POST', '/api/sessions/auth-1/start'],
    ['POST', '/api/sessions/auth-1/stop'],
    ['POST', '/api/sessions/auth-1/restart'],
    ['POST', '/api/sessions/auth-1/logout'],
    ['GET', '/api/sessions/auth-1/qr'],
  ];

  let apiKey: string;
  beforeAll(async () => {
    ({ apiKey } = await createSession(api, { sessionId: 'auth-1' }));
  });

  it.each(routes)('%s %s refuses no token (401), a wrong token (401) and a session key (403), changing nothing', async (method, path, body) => {
    const before = await allRows();
    expect(await api(method, path, { body })).toMatchObject({ status: 401, json: { success: false, code: 'UNAUTHORISED' } });
    expect(await api(method, path, { body, headers: { authorization: 'Bearer not-the-token' } })).toMatchObject({ status: 401, json: { code: 'UNAUTHORISED' } });
    expect(await api(method, path, { body, key: apiKey })).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
    expect(await allRows()).toBe(before);
  });
});

describe('GET /api/sessions', () => {
  it('pages through every session in id order with a cursor', async () => {
    for (const id of ['page-a', 'page-b', 'page-c']) await createSession(api, { sessionId: id });
    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const answer = await api('GET', `/api/sessions?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { admin: true });
      expect(answer.status).toBe(200);
      expect(answer.json.sessions.length).toBeLessThanOrEqual(2);
      seen.push(...answer.json.sessions.map((s: { id: string }) => s.id));
      cursor = answer.json.nextCursor;
      pages += 1;
    }
    const ids = (await stack.db.execute('select id from sessions order by id')).rows.map((r) => String(r.id));
    expect(seen).toEqual(ids);
    expect(pages).toBeGreaterThan(1);
  });

  it('filters by status, each entry saying why it is not WORKING', async () => {
    const { sessionId } = await createSession(api);
    expect((await api('POST', `/api/sessions/${sessionId}/stop`, { admin: true })).status).toBe(200);
    const answer = await api('GET', '/api/sessions?status=STOPPED&limit=100', { admin: true });
    expect(answer.status).toBe(200);
    expect(answer.json.sessions.every((s: { status: string }) => s.status === 'STOPPED')).toBe(true);
    expect(answer.json.sessions.find((s: { id: string }) => s.id === sessionId)).toMatchObject({
      status: 'STOPPED',
      reason: { code: 'STOPPED_BY_USER' },
      desiredState: 'stopped',
    });
  });

  it.each([
    ['an unknown status', '?status=ASLEEP', 'status'],
    ['a limit of 0', '?limit=0', 'limit'],
    ['a limit over 100', '?limit=101', 'limit'],
    ['a limit that is not a number', '?limit=ten', 'limit'],
    ['a cursor that is no session id', '?cursor=a%20b', 'cursor'],
  ])('refuses %s with a 400 naming the field', async (_, query, field) => {
    const { status, json } = await api('GET', `/api/sessions${query}`, { admin: true });
    expect(status).toBe(400);
    expect(json).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
    expect(json.details.map((d: { field: string }) => d.field)).toContain(field);
  });
});

describe('POST /api/sessions', () => {
  it('creates a session with its key shown once, and a webhook secret when a URL came without one', async () => {
    const answer = await api('POST', '/api/sessions', { admin: true, body: { sessionId: 'made-by-admin', description: 'Toko', webhookUrl: 'https://example.com/hook' } });
    expect(answer).toMatchObject({ status: 201, json: { success: true, sessionId: 'made-by-admin' } });
    expect(answer.json.apiKey).toMatch(/^kbr_/);
    expect(answer.json.webhookSecret).toMatch(/^whsec_/);
    expect((await api('GET', '/api/session/status', { key: answer.json.apiKey })).status).toBe(200);
    expect(await row('made-by-admin')).toMatchObject({ description: 'Toko', created_by: 'admin', webhook_secret: answer.json.webhookSecret });
  });

  it('accepts no body at all, and refuses an existing id with 409 keeping the first', async () => {
    const response = await fetch(`${stack.url}/api/sessions`, { method: 'POST', headers: { authorization: `Bearer ${stack.adminToken}` } });
    expect(response.status).toBe(201);
    await createSession(api, { sessionId: 'twice' });
    const before = await row('twice');
    expect(await api('POST', '/api/sessions', { admin: true, body: { sessionId: 'twice', description: 'other' } })).toMatchObject({ status: 409, json: { code: 'SESSION_EXISTS' } });
    expect(await row('twice')).toEqual(before);
  });

  it.each([
    ['a bad session id', { sessionId: 'no spaces' }, 400, 'VALIDATION_FAILED'],
    ['an unknown field', { sesionId: 'typo' }, 400, 'VALIDATION_FAILED'],
    ['a private webhook URL', { webhookUrl: 'http://10.0.0.1/hook' }, 400, 'VALIDATION_FAILED'],
    ['malformed JSON', '{"sessionId":', 400, 'MALFORMED_JSON'],
  ])('refuses %s and stores nothing', async (_, body, status, code) => {
    const before = await allRows();
    expect(await api('POST', '/api/sessions', { admin: true, body })).toMatchObject({ status, json: { success: false, code } });
    expect(await allRows()).toBe(before);
  });
});

describe('GET /api/sessions/{sessionId}', () => {
  it('shows status with reason, connector, webhook without its secret, key prefixes and counters', async () => {
    const created = await api('POST', '/api/sessions', { admin: true, body: { webhookUrl: 'https://example.com/hook', webhookEvents: ['message.received'] } });
    const { sessionId, apiKey, webhookSecret } = created.json;
    await connector.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId));
    const answer = await api('GET', `/api/sessions/${sessionId}`, { admin: true });
    expect(answer.status).toBe(200);
    expect(answer.json.session).toMatchObject({
      id: sessionId,
      status: 'STARTING',
      reason: { code: expect.any(String) },
      connectorId: 'vps-1',
      connectorAttached: true,
      webhook: { url: 'https://example.com/hook', events: ['message.received'], hasSecret: true, hasToken: false },
      keys: [{ prefix: apiKey.slice(0, 12) }],
      counters: { messagesIn: 0, messagesOut: 0, events: 0, deliveries: { delivered: 0, failed: 0, dead: 0 } },
    });
    expect(JSON.stringify(answer.json)).not.toContain(webhookSecret);
    expect(JSON.stringify(answer.json)).not.toContain(apiKey);
  });

  it('answers 404 for an unknown session and 400 for an id that cannot be one', async () => {
    expect(await api('GET', '/api/sessions/nobody-here', { admin: true })).toMatchObject({ status: 404, json: { code: 'SESSION_NOT_FOUND' } });
    expect(await api('GET', `/api/sessions/${'a'.repeat(65)}`, { admin: true })).toMatchObject({ status: 400, json: { code: 'VALIDATION_FAILED' } });
  });
});

describe('PATCH /api/sessions/{sessionId}', () => {
  it('changes the description and webhook, shows a new secret once, and clears fields with null', async () => {
    const { sessionId } = await createSession(api, { webhookUrl: 'https://example.com/old', webhookSecret: 'a-secret-of-sixteen+' });
    const answer = await api('PATCH', `/api/sessions/${sessionId}`, {
      admin: true,
      body: { description: 'New name', webhookUrl: 'https://example.com/new', webhookEvents: ['qr'], webhookToken: 'backend-token', newWebhookSecret: true },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.webhookSecret).toMatch(/^whsec_/);
    expect(answer.json.session).toMatchObject({ description: 'New name', webhook: { url: 'https://example.com/new', events: ['qr'], hasSecret: true, hasToken: true } });
    expect(await row(sessionId)).toMatchObject({ webhook_secret: answer.json.webhookSecret, webhook_token: 'backend-token', webhook_events: '["qr"]' });

    const cleared = await api('PATCH', `/api/sessions/${sessionId}`, { admin: true, body: { description: null, webhookEvents: null, webhookToken: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.json.webhookSecret).toBeUndefined();
    expect(await row(sessionId)).toMatchObject({ description: null, webhook_events: null, webhook_token: null, webhook_url: 'https://example.com/new' });
  });

  it.each([
    ['an empty change', {}],
    ['an unknown field', { descripton: 'typo' }],
    ['a webhook URL that is not http(s)', { webhookUrl: 'ftp://example.com' }],
    ['a private webhook URL', { webhookUrl: 'http://127.0.0.1:9/hook' }],
    ['an unknown event', { webhookEvents: ['everything'] }],
    ['a token with a line break', { webhookToken: 'a\r\nX-Injected: 1' }],
    ['newWebhookSecret other than true', { newWebhookSecret: false }],
    ['a description that is a number', { description: 5 }],
  ])('refuses %s with 400 and changes nothing', async (_, body) => {
    const { sessionId } = await createSession(api, { description: 'kept' });
    const before = await row(sessionId);
    expect(await api('PATCH', `/api/sessions/${sessionId}`, { admin: true, body })).toMatchObject({ status: 400, json: { code: 'VALIDATION_FAILED' } });
    expect(await row(sessionId)).toEqual(before);
  });

  it('answers 404 for an unknown session, and 415 for a body that is not JSON', async () => {
    expect(await api('PATCH', '/api/sessions/nobody-here', { admin: true, body: { description: 'x' } })).toMatchObject({ status: 404, json: { code: 'SESSION_NOT_FOUND' } });
    expect(await api('PATCH', '/api/sessions/nobody-here', { admin: true, body: 'description=x', contentType: 'text/plain' })).toMatchObject({ status: 415 });
  });
});

describe('start, stop, restart, logout and delete', () => {
  it('stop keeps the login and start resumes it; logout forgets it (a higher auth epoch)', async () => {
    const { sessionId } = await createSession(api);
    await connector.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId && s.state === 'running'));

    expect(await api('POST', `/api/sessions/${sessionId}/stop`, { admin: true })).toMatchObject({ status: 200, json: { success: true } });
    expect(await row(sessionId)).toMatchObject({ desired_state: 'stopped', status: 'STOPPED', auth_epoch: 0 });
    await connector.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId && s.state === 'stopped' && s.authEpoch === 0));

    expect((await api('POST', `/api/sessions/${sessionId}/start`, { admin: true })).status).toBe(200);
    expect(await row(sessionId)).toMatchObject({ desired_state: 'running', auth_epoch: 0 });

    expect((await api('POST', `/api/sessions/${sessionId}/logout`, { admin: true })).status).toBe(200);
    expect(await row(sessionId)).toMatchObject({ desired_state: 'stopped', status: 'LOGGED_OUT', auth_epoch: 1 });
  });

  it('restart tells the connector to stop and then to run, keeping the login', async () => {
    const { sessionId } = await createSession(api);
    await connector.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId && s.state === 'running'));
    expect(await api('POST', `/api/sessions/${sessionId}/restart`, { admin: true })).toMatchObject({ status: 200, json: { message: 'Session is restarting' } });
    await connector.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId && s.state === 'stopped'));
    const running = await connector.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId && s.state === 'running' && (s.startEpoch ?? 0) > 0));
    expect(running.sessions[0]?.authEpoch).toBe(0);
    expect(await row(sessionId)).toMatchObject({ desired_state: 'running', auth_epoch: 0 });
  });

  it('delete removes the session, its keys stop working, and the connector is told to drop it', async () => {
    const { sessionId, apiKey } = await createSession(api);
    expect(await api('DELETE', `/api/sessions/${sessionId}`, { admin: true })).toMatchObject({ status: 200, json: { success: true } });
    expect(await row(sessionId)).toBeUndefined();
    await connector.next('remove', (f) => f.sessionIds.includes(sessionId));
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(401);
    expect(await api('DELETE', `/api/sessions/${sessionId}`, { admin: true })).toMatchObject({ status: 404, json: { code: 'SESSION_NOT_FOUND' } });
  });

  it.each(['start', 'stop', 'restart', 'logout'])('%s answers 404 for an unknown session and 400 for a bad id', async (action) => {
    expect(await api('POST', `/api/sessions/nobody-here/${action}`, { admin: true })).toMatchObject({ status: 404, json: { code: 'SESSION_NOT_FOUND' } });
    expect(await api('POST', `/api/sessions/${'a'.repeat(65)}/${action}`, { admin: true })).toMatchObject({ status: 400, json: { code: 'VALIDATION_FAILED' } });
    expect(await row('nobody-here')).toBeUndefined();
  });
});

describe('GET /api/sessions/{sessionId}/qr', () => {
  it("shows the connector's current QR, and why there is none before it", async () => {
    const { sessionId } = await createSession(api);
    await connector.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId));
    expect(await api('GET', `/api/sessions/${sessionId}/qr`, { admin: true })).toMatchObject({ status: 200, json: { connected: false, qr: null, reason: { code: expect.any(String) } } });

    const id = `qr-${sessionId}`;
    connector.send({ type: 'event', id, sessionId, at: Date.now(), event: { name: 'qr', qr: '2@ref,key,id', qrDataUrl: 'data:image/png;base64,UVI=' } });
    await connector.next('ack', (a) => a.ids.includes(id));
    expect(await api('GET', `/api/sessions/${sessionId}/qr`, { admin: true })).toMatchObject({
      status: 200,
      json: { success: true, connected: false, status: 'SCAN_QR_CODE', qr: 'data:image/png;base64,UVI=', qrRaw: '2@ref,key,id' },
    });
  });

  it('answers 404 for an unknown session', async () => {
    expect(await api('GET', '/api/sessions/nobody-here/qr', { admin: true })).toMatchObject({ status: 404, json: { code: 'SESSION_NOT_FOUND' } });
  });
});
