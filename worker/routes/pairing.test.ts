// POST /api/session/pair through the real Worker in workerd and a scripted connector: the command it relays,
// the answer, and each refusal with its status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack({ COMMAND_TIMEOUT_MS: '1500' });
  api = apiOf(stack);
});
afterAll(() => stack.close());

describe('POST /api/session/pair', () => {
  it('relays the normalised phone to the connector and answers with the code', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'pairer' });
    const { sessionId, apiKey } = await createSession(api);
    const answer = api('POST', '/api/session/pair', { key: apiKey, body: { phone: '0812-3456-7890' } });
    const command = await script.next('command', (f) => f.command.sessionId === sessionId);
    expect(command.command).toEqual({ name: 'session.pair', sessionId, phone: '6281234567890' });
    script.send({ type: 'result', id: command.id, ok: true, data: { code: 'ABCD-EFGH', expiresAt: 1_700_000_000_000 } });
    expect(await answer).toMatchObject({ status: 200, json: { success: true, code: 'ABCD-EFGH', expiresAt: 1_700_000_000_000 } });

    const again = api('POST', '/api/session/pair', { key: apiKey, body: { phone: '6281234567890' } });
    const second = await script.next('command', (f) => f.command.sessionId === sessionId);
    script.send({ type: 'result', id: second.id, ok: false, error: { code: 'ALREADY_LOGGED_IN', message: 'session is linked already' } });
    expect(await again).toMatchObject({ status: 409, json: { success: false, code: 'ALREADY_LOGGED_IN' } });

    const early = api('POST', '/api/session/pair', { key: apiKey, body: { phone: '6281234567890' } });
    const third = await script.next('command', (f) => f.command.sessionId === sessionId);
    script.send({ type: 'result', id: third.id, ok: false, error: { code: 'NOT_READY', message: 'session is STARTING' } });
    expect(await early).toMatchObject({ status: 503, json: { success: false, code: 'SESSION_NOT_READY' } });
    await script.close();
  });

  it('refuses a bad phone with 400 naming the field, before asking any connector', async () => {
    const { apiKey } = await createSession(api);
    for (const body of [{ phone: 'not a phone' }, { phone: '12' }, {}, { phone: '6281234567890', extra: 1 }]) {
      const { status, json } = await api('POST', '/api/session/pair', { key: apiKey, body });
      expect(status, JSON.stringify(body)).toBe(400);
      expect(json).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
    }
  });

  it("refuses, with 400 and before asking a connector, a phone other than the session's own", async () => {
    const { apiKey } = await createSession(api, { phone: '6281234500001' });
    const { status, json } = await api('POST', '/api/session/pair', { key: apiKey, body: { phone: '6281234500002' } });
    expect(status).toBe(400);
    expect(json).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'phone', message: expect.stringContaining('6281234500001') }] });
    // Its own number gets as far as the connector (none is attached: 503).
    expect((await api('POST', '/api/session/pair', { key: apiKey, body: { phone: '6281234500001' } })).status).toBe(503);
  });

  it('answers 503 at once while no connector is attached, and 401 without a key', async () => {
    const { apiKey } = await createSession(api);
    expect(await api('POST', '/api/session/pair', { key: apiKey, body: { phone: '6281234567890' } })).toMatchObject({
      status: 503,
      json: { code: 'CONNECTOR_OFFLINE' },
    });
    expect((await api('POST', '/api/session/pair', { body: { phone: '6281234567890' } })).status).toBe(401);
  });
});

describe('POST /api/sessions/{sessionId}/pair (admin)', () => {
  it('relays the pairing request of any session with the admin token and answers with the code', async () => {
    const { script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'admin-pairer' });
    const { sessionId } = await createSession(api);
    const answer = api('POST', `/api/sessions/${sessionId}/pair`, { admin: true, body: { phone: '0812-3456-7890' } });
    const command = await script.next('command', (f) => f.command.sessionId === sessionId);
    expect(command.command).toEqual({ name: 'session.pair', sessionId, phone: '6281234567890' });
    script.send({ type: 'result', id: command.id, ok: true, data: { code: 'WXYZ-1234', expiresAt: 1_700_000_000_000 } });
    expect(await answer).toMatchObject({ status: 200, json: { success: true, code: 'WXYZ-1234' } });
    await script.close();
  });

  it('refuses a session key, a wrong token, an unknown session and a bad phone, each with its 4xx', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const path = `/api/sessions/${sessionId}/pair`;
    expect(await api('POST', path, { key: apiKey, body: { phone: '6281234567890' } })).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
    expect(await api('POST', path, { headers: { authorization: 'Bearer nope' }, body: { phone: '6281234567890' } })).toMatchObject({ status: 401 });
    expect(await api('POST', '/api/sessions/nobody/pair', { admin: true, body: { phone: '6281234567890' } })).toMatchObject({
      status: 404,
      json: { code: 'SESSION_NOT_FOUND' },
    });
    expect(await api('POST', path, { admin: true, body: { phone: 'not a phone' } })).toMatchObject({ status: 400, json: { code: 'VALIDATION_FAILED' } });
  });
});
