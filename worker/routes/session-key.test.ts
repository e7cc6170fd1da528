import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack();
  api = apiOf(stack);
});
afterAll(() => stack.close());

async function sessionCount(): Promise<number> {
  return Number((await stack.db.execute('select count(*) from sessions')).rows[0]?.[0]);
}

describe('POST /api/session/create', () => {
  it('creates a session and shows its key once, storing only a hash', async () => {
    const { status, json } = await api('POST', '/api/session/create', { admin: true, body: { sessionId: 'toko-1', description: 'Toko 🛒 Jaya' } });
    expect(status).toBe(201);
    expect(json).toMatchObject({ success: true, sessionId: 'toko-1', message: expect.any(String) });
    expect(json.apiKey).toMatch(/^kbr_[A-Za-z0-9_-]{43}$/);
    const keys = await stack.db.execute({ sql: 'select key_hash, prefix from api_keys where session_id = ?', args: ['toko-1'] });
    expect(keys.rows).toHaveLength(1);
    expect(keys.rows[0]?.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(keys.rows)).not.toContain(json.apiKey);
    expect(json.apiKey.startsWith(String(keys.rows[0]?.prefix))).toBe(true);
    const row = await stack.db.execute({ sql: 'select description from sessions where id = ?', args: ['toko-1'] });
    expect(row.rows[0]?.description).toBe('Toko 🛒 Jaya');
  });

  it('generates a session id when none is given, and accepts an empty request', async () => {
    const response = await fetch(`${stack.url}/api/session/create`, { method: 'POST', headers: { authorization: `Bearer ${stack.adminToken}` } });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { sessionId: string }).sessionId).toMatch(/^ses_[0-9a-f]{20}$/);
  });

  it('answers 409 for a session id that exists, and keeps the first session', async () => {
    const first = await createSession(api, { sessionId: 'dup' });
    const { status, json } = await api('POST', '/api/session/create', { admin: true, body: { sessionId: 'dup' } });
    expect(status).toBe(409);
    expect(json).toMatchObject({ success: false, code: 'SESSION_EXISTS' });
    expect((await api('GET', '/api/session/status', { key: first.apiKey })).status).toBe(200);
  });

  it.each([
    ['a session id with spaces', { sessionId: 'has space' }, 'sessionId'],
    ['a session id that looks like SQL', { sessionId: "x'; DROP TABLE sessions;--" }, 'sessionId'],
    ['a session id over 64 characters', { sessionId: 'a'.repeat(65) }, 'sessionId'],
    ['a session id that is a number', { sessionId: 42 }, 'sessionId'],
    ['a webhook URL that is not http(s)', { webhookUrl: 'ftp://example.com/hook' }, 'webhookUrl'],
    ['a short webhook secret', { webhookSecret: 'short' }, 'webhookSecret'],
    ['an unknown webhook event', { webhookEvents: ['everything'] }, 'webhookEvents.0'],
    ['an unknown field', { sesionId: 'typo' }, '(body)'],
  ])('refuses %s with a 400 naming the field', async (_, body, field) => {
    const before = await sessionCount();
    const { status, json } = await api('POST', '/api/session/create', { admin: true, body });
    expect(status).toBe(400);
    expect(json.code).toBe('VALIDATION_FAILED');
    expect(json.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await sessionCount()).toBe(before);
  });

  it('refuses malformed JSON with 400', async () => {
    const { status, json } = await api('POST', '/api/session/create', { admin: true, body: '{"sessionId": ' });
    expect(status).toBe(400);
    expect(json).toMatchObject({ success: false, code: 'MALFORMED_JSON' });
  });

  it('refuses a body that is not JSON with 415', async () => {
    const { status, json } = await api('POST', '/api/session/create', { admin: true, body: 'sessionId=x', contentType: 'text/plain' });
    expect(status).toBe(415);
    expect(json.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a huge body with 413 and stores nothing', async () => {
    const before = await sessionCount();
    const { status, json } = await api('POST', '/api/session/create', { admin: true, body: { description: 'x'.repeat(400_000) } });
    expect(status).toBe(413);
    expect(json.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await sessionCount()).toBe(before);
  });

  it('needs the admin token: none is 401, a wrong one is 401, a session key is 403', async () => {
    const { apiKey } = await createSession(api);
    expect((await api('POST', '/api/session/create', { body: {} })).status).toBe(401);
    expect((await api('POST', '/api/session/create', { body: {}, headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await api('POST', '/api/session/create', { body: {}, headers: { authorization: `Basic ${stack.adminToken}` } })).status).toBe(401);
    const withKey = await api('POST', '/api/session/create', { body: {}, key: apiKey });
    expect(withKey.status).toBe(403);
    expect(withKey.json.code).toBe('FORBIDDEN');
  });
});

describe('session-key authentication', () => {
  it('refuses a missing, malformed or unknown key with 401', async () => {
    const missing = await api('GET', '/api/session/status');
    expect(missing.status).toBe(401);
    expect(missing.json).toEqual({ success: false, error: 'Missing x-api-key header', code: 'UNAUTHORISED' });
    expect((await api('GET', '/api/session/status', { key: 'kbr_short' })).status).toBe(401);
    expect((await api('GET', '/api/session/status', { key: `kbr_${'A'.repeat(43)}` })).status).toBe(401);
    expect((await api('GET', '/api/session/status', { key: "' OR 1=1 --" })).status).toBe(401);
  });

  it('does not accept the admin token in place of a session key, and says what to send instead', async () => {
    const bearer = await api('GET', '/api/session/status', { admin: true });
    expect(bearer.status).toBe(401);
    expect(bearer.json.error).toBe(
      'Missing x-api-key header: session API keys look like kbr_… and go in x-api-key; the admin token is not accepted on session routes',
    );
    const inKeyHeader = await api('GET', '/api/session/status', { headers: { 'x-api-key': stack.adminToken } });
    expect(inKeyHeader.status).toBe(401);
    expect(inKeyHeader.json.error).toBe('Invalid API key: session API keys look like kbr_… and go in x-api-key; the admin token is not accepted on session routes');
  });

  it('stops accepting a rotated key at once and accepts the new one', async () => {
    const { apiKey } = await createSession(api);
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(200);
    const rotated = await api('POST', '/api/session/rotate-key', { key: apiKey });
    expect(rotated.status).toBe(200);
    expect(rotated.json.apiKey).not.toBe(apiKey);
    const old = await api('GET', '/api/session/status', { key: apiKey });
    expect(old.status).toBe(401);
    expect(old.json.error).toBe('API key revoked');
    expect((await api('GET', '/api/session/status', { key: rotated.json.apiKey })).status).toBe(200);
  });

  it('keeps the old key when a rotation cannot store the new one: revoking and inserting are one transaction', async () => {
    const { sessionId, apiKey } = await createSession(api);
    // The database refuses this session's next key, as a failure between the two writes would.
    await stack.db.execute(
      `CREATE TRIGGER refuse_key BEFORE INSERT ON api_keys WHEN NEW.session_id = '${sessionId}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
    );
    try {
      const rotated = await api('POST', '/api/session/rotate-key', { key: apiKey });
      expect(rotated.status).toBe(503);
    } finally {
      await stack.db.execute('DROP TRIGGER refuse_key');
    }
    const live = await stack.db.execute({ sql: 'select count(*) from api_keys where session_id = ? and revoked_at is null', args: [sessionId] });
    expect(Number(live.rows[0]?.[0])).toBe(1);
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(200);
  });

  it('stops accepting the key of a deleted session at once', async () => {
    const { sessionId, apiKey } = await createSession(api);
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(200);
    expect((await api('POST', '/api/delete', { admin: true, body: { phone: sessionId } })).status).toBe(200);
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(401);
  });
});

describe('POST /api/sessions/{sessionId}/keys (admin)', () => {
  it('issues a new key for a session whose key was lost, revoking the old ones at once', async () => {
    const { sessionId, apiKey } = await createSession(api);
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(200);
    const issued = await api('POST', `/api/sessions/${sessionId}/keys`, { admin: true });
    expect(issued.status).toBe(201);
    expect(issued.json).toMatchObject({ success: true, sessionId, apiKey: expect.stringMatching(/^kbr_/) });
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(401);
    expect((await api('GET', '/api/session/status', { key: issued.json.apiKey })).status).toBe(200);
  });

  it('answers 404 for an unknown session and needs the admin token', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const unknown = await api('POST', '/api/sessions/no-such-session/keys', { admin: true });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('SESSION_NOT_FOUND');
    expect((await stack.db.execute({ sql: 'select * from api_keys where session_id = ?', args: ['no-such-session'] })).rows).toHaveLength(0);
    expect((await api('POST', `/api/sessions/${sessionId}/keys`)).status).toBe(401);
    expect((await api('POST', `/api/sessions/${sessionId}/keys`, { key: apiKey })).status).toBe(403);
    expect((await api('POST', '/api/sessions/bad%20id/keys', { admin: true })).status).toBe(400);
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(200);
  });
});

describe('status, QR, start and logout', () => {
  it('reports a new session as starting, with no QR yet', async () => {
    const { apiKey } = await createSession(api);
    expect((await api('GET', '/api/session/status', { key: apiKey })).json).toEqual({
      success: true,
      connected: false,
      status: 'STARTING',
      reason: { code: 'CONNECTOR_OFFLINE', message: expect.any(String), at: expect.any(Number) },
      since: expect.any(Number),
    });
    const qr = await api('GET', '/api/session/qr', { key: apiKey });
    expect(qr.json).toMatchObject({ success: true, connected: false, qr: null, message: expect.any(String) });
    expect((await api('GET', '/api/session/qr?format=raw', { key: apiKey })).json).toMatchObject({ qrRaw: null });
  });

  it('refuses an unknown QR format with 400', async () => {
    const { apiKey } = await createSession(api);
    const { status, json } = await api('GET', '/api/session/qr?format=svg', { key: apiKey });
    expect(status).toBe(400);
    expect(json.details[0].field).toBe('format');
  });

  it('records logout and start as desired state, answering at once with no connector', async () => {
    const { sessionId, apiKey } = await createSession(api);
    expect((await api('POST', '/api/session/logout', { key: apiKey })).json).toMatchObject({ success: true });
    expect((await api('GET', '/api/session/status', { key: apiKey })).json.status).toBe('LOGGED_OUT');
    let row = await stack.db.execute({ sql: 'select desired_state, auth_epoch from sessions where id = ?', args: [sessionId] });
    expect(row.rows[0]).toMatchObject({ desired_state: 'stopped', auth_epoch: 1 });
    expect((await api('POST', '/api/session/start', { key: apiKey })).status).toBe(200);
    expect((await api('GET', '/api/session/status', { key: apiKey })).json.status).toBe('STARTING');
    row = await stack.db.execute({ sql: 'select desired_state, auth_epoch from sessions where id = ?', args: [sessionId] });
    expect(row.rows[0]).toMatchObject({ desired_state: 'running', auth_epoch: 1 });
  });

  it("shows each key only its own session's state", async () => {
    const a = await createSession(api);
    const b = await createSession(api);
    await api('POST', '/api/session/logout', { key: b.apiKey });
    expect((await api('GET', '/api/session/status', { key: a.apiKey })).json.status).toBe('STARTING');
    expect((await api('GET', '/api/session/status', { key: b.apiKey })).json.status).toBe('LOGGED_OUT');
  });
});

describe('POST and GET /api/send', () => {
  it('answers 503 at once while no connector is attached, by POST and by GET', async () => {
    const { apiKey } = await createSession(api);
    const post = await api('POST', '/api/send', { key: apiKey, body: { to: '081234567890', message: 'halo' } });
    expect(post.status).toBe(503);
    expect(post.json).toMatchObject({ success: false, code: 'CONNECTOR_OFFLINE' });
    const get = await api('GET', `/api/send?to=081234567890&message=${encodeURIComponent('halo dunia')}`, { key: apiKey });
    expect(get.status).toBe(503);
  });

  it.each([
    ['no recipient', { message: 'x' }, 'to'],
    ['no message', { to: '081234567890' }, 'message'],
    ['a recipient with letters', { to: '0812abc', message: 'x' }, 'to'],
    ['a recipient that is too short', { to: '123', message: 'x' }, 'to'],
    ['a blank message', { to: '081234567890', message: '   ' }, 'message'],
    ['a message over the length limit', { to: '081234567890', message: 'x'.repeat(4097) }, 'message'],
    ['a recipient that is an object', { to: { n: 1 }, message: 'x' }, 'to'],
    ['a negative number as recipient', { to: -81234567890, message: 'x' }, 'to'],
    ['an unknown field', { to: '081234567890', message: 'x', media: 'http://x' }, '(body)'],
  ])('refuses %s with a 400 naming the field', async (_, body, field) => {
    const { apiKey } = await createSession(api);
    const { status, json } = await api('POST', '/api/send', { key: apiKey, body });
    expect(status).toBe(400);
    expect(json.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it.each([
    ['4,097', 4097],
    ['200,000', 200_000],
  ])('states the real limit (MAX_MESSAGE_LENGTH) for a %s-character message', async (_, length) => {
    const { apiKey } = await createSession(api);
    const { status, json } = await api('POST', '/api/send', { key: apiKey, body: { to: '081234567890', message: 'x'.repeat(length) } });
    expect(status).toBe(400);
    expect(json.details).toEqual([{ field: 'message', message: 'must be at most 4096 characters' }]);
  });

  it('states the real limit on the Laravel surface too', async () => {
    await api('POST', '/api/create-session', { admin: true, body: { phone: '081211119999' } });
    const { status, json } = await api('POST', '/api/send-message', { admin: true, body: { sessionId: '081211119999', number: '081234567890', message: 'x'.repeat(200_000) } });
    expect([status, json]).toEqual([400, { error: 'Invalid request: message must be at most 4096 characters' }]);
  });

  it('accepts the recipient as a JSON number, as the Laravel surface does', async () => {
    const { apiKey } = await createSession(api);
    // Past validation: with no connector attached, the send itself answers 503.
    const { status, json } = await api('POST', '/api/send', { key: apiKey, body: { to: 6281234567890, message: 'x' } });
    expect(status).toBe(503);
    expect(json.code).toBe('CONNECTOR_OFFLINE');
  });

  it("refuses to send for another session with this session's key (403)", async () => {
    const { apiKey } = await createSession(api);
    const other = await createSession(api);
    const { status, json } = await api('POST', '/api/send', { key: apiKey, body: { to: '081234567890', message: 'x', sessionId: other.sessionId } });
    expect(status).toBe(403);
    expect(json.code).toBe('FORBIDDEN');
  });

  it('refuses a send without a key, and a GET with missing parameters', async () => {
    expect((await api('POST', '/api/send', { body: { to: '081234567890', message: 'x' } })).status).toBe(401);
    const { apiKey } = await createSession(api);
    expect((await api('GET', '/api/send?to=081234567890', { key: apiKey })).status).toBe(400);
  });

  it('refuses a form-encoded send with 415', async () => {
    const { apiKey } = await createSession(api);
    const { status } = await api('POST', '/api/send', { key: apiKey, body: 'to=081234567890&message=x', contentType: 'application/x-www-form-urlencoded' });
    expect(status).toBe(415);
  });
});

describe('the rest of the surface', () => {
  it('answers unknown routes with a JSON 404', async () => {
    const { status, json } = await api('GET', '/api/nope');
    expect(status).toBe(404);
    expect(json).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });

  it.each([
    ['DELETE', '/api/send', 'GET, POST'],
    ['GET', '/api/session/create', 'POST'],
    ['PUT', '/api/session/status', 'GET'],
    ['GET', '/api/client/store', 'PUT'],
    ['GET', '/api/sessions/some-id/keys', 'POST'],
  ])('answers %s %s with a JSON 405 and Allow: %s', async (method, path, allow) => {
    const { status, json, headers } = await api(method, path, { admin: true });
    expect(status).toBe(405);
    expect(headers.get('allow')).toBe(allow);
    // Each surface keeps its envelope: `{error}` on the Laravel paths, `{success, error, code}` elsewhere.
    expect(json.error).toBe(`${method} is not allowed on ${path}; use ${allow.replace(', ', ' or ')}`);
    if (path !== '/api/client/store') expect(json.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('lists every route in /openapi.json and renders /docs', async () => {
    const doc = (await api('GET', '/openapi.json')).json;
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/api/client/store',
        '/api/create-session',
        '/api/delete',
        '/api/events',
        '/api/groups',
        '/api/groups/join',
        '/api/groups/{groupId}',
        '/api/groups/{groupId}/invite',
        '/api/groups/{groupId}/invite/revoke',
        '/api/groups/{groupId}/leave',
        '/api/groups/{groupId}/participants',
        '/api/media',
        '/api/media/{mediaId}',
        '/api/messages',
        '/api/reset',
        '/api/send',
        '/api/send-message',
        '/api/session/create',
        '/api/session/logout',
        '/api/session/pair',
        '/api/session/qr',
        '/api/session/rotate-key',
        '/api/session/start',
        '/api/session/status',
        '/api/sessions/{sessionId}/keys',
        '/api/webhooks/deliveries',
        '/api/messages/{id}',
        '/api/chats/{phone}/read',
        '/api/chats/{phone}/presence',
        '/api/chats/{phone}/presence/subscribe',
        '/api/contacts/{phone}',
        '/api/contacts/check',
        '/api/sessions',
        '/api/sessions/{sessionId}',
        '/api/sessions/{sessionId}/start',
        '/api/sessions/{sessionId}/stop',
        '/api/sessions/{sessionId}/restart',
        '/api/sessions/{sessionId}/logout',
        '/api/sessions/{sessionId}/qr',
        '/api/connectors',
        '/api/metrics',
        '/api/messages/batch',
        '/api/queue',
        '/api/queue/pause',
        '/api/queue/resume',
        '/api/queue/{id}',
        '/api/connectors/{connectorId}/drain',
        '/api/sessions/{sessionId}/move',
        // Merged into integ without their names here (media, incoming).
        '/api/sessions/{sessionId}/media',
        '/api/sessions/{sessionId}/messages',
        '/api/webhooks/requeue',
        '/api/webhooks/deliveries/{eventId}/replay',
        '/api/sessions/{sessionId}/pair',
        '/api/stream',
        '/api/stream/passes',
      ].sort(),
    );
    expect(Object.keys(doc.paths['/api/send'])).toEqual(['post', 'get']);
    // Every webhook event is typed: its envelope with the event's fields as `data`.
    expect(Object.keys(doc.webhooks)).toEqual(expect.arrayContaining(['message.received', 'message.reaction', 'message.edited', 'message.revoked', 'poll.vote', 'presence.update']));
    const reaction = doc.webhooks['message.reaction'].post.requestBody.content['application/json'].schema;
    expect(reaction.properties.data.required).toEqual(expect.arrayContaining(['messageId', 'targetId', 'from', 'emoji']));
    const docs = await fetch(`${stack.url}/docs`);
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(await docs.text()).toContain('/openapi.json');
  });

  it('answers /health once the database answers', async () => {
    expect((await api('GET', '/health')).json).toEqual({ ok: true });
  });
});
