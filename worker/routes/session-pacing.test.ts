// The admin's pacing policy of a session through the real Worker in workerd and a scripted connector: PATCH
// stores it with its defaults filled in, the connector hears it in the session's desired state (and in its
// next welcome), null goes back to the connector's default, and a bad policy changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PACING } from '../../shared/pacing.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

let stack: Stack;
let api: Api;
let connector: ScriptedConnector;

beforeAll(async () => {
  stack = await startStack();
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'pacing-1' })).script;
});
afterAll(async () => {
  await connector.close();
  await stack.close();
});

const patch = (sessionId: string, body: unknown) => api('PATCH', `/api/sessions/${sessionId}`, { admin: true, body });

describe('PATCH /api/sessions/{sessionId} with pacing', () => {
  it('stores the policy with its defaults and sends it to the connector with the desired state', async () => {
    const { sessionId } = await createSession(api);
    const answer = await patch(sessionId, { pacing: { minIntervalMs: 8_000, perDay: 500, quietHours: { start: '22:00', end: '06:00', utcOffsetMinutes: 420 } } });
    const expected = { ...DEFAULT_PACING, minIntervalMs: 8_000, perDay: 500, quietHours: { start: '22:00', end: '06:00', utcOffsetMinutes: 420 } };
    expect(answer.status).toBe(200);
    expect(answer.json.session.pacing).toEqual(expected);
    const desired = await connector.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId && s.pacing !== undefined));
    expect(desired.sessions.find((s) => s.sessionId === sessionId)!.pacing).toEqual(expected);
    expect((await api('GET', `/api/sessions/${sessionId}`, { admin: true })).json.session.pacing).toEqual(expected);
  });

  it('carries the policy in the welcome of a connector that comes back', async () => {
    const { sessionId } = await createSession(api);
    await patch(sessionId, { pacing: { enabled: false } });
    await connector.close();
    const again = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'pacing-1' });
    connector = again.script;
    expect(again.welcome?.type).toBe('welcome');
    const entry = again.welcome && 'sessions' in again.welcome ? again.welcome.sessions.find((s) => s.sessionId === sessionId) : undefined;
    expect(entry?.pacing).toEqual({ ...DEFAULT_PACING, enabled: false });
  });

  it('goes back to the connector default with null', async () => {
    const { sessionId } = await createSession(api);
    await patch(sessionId, { pacing: { perRecipientPerDay: 3 } });
    const cleared = await patch(sessionId, { pacing: null });
    expect(cleared.json.session.pacing).toBeNull();
    const desired = await connector.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId && s.pacing === undefined));
    expect(desired.sessions.find((s) => s.sessionId === sessionId)).not.toHaveProperty('pacing');
  });

  it.each([
    ['a negative interval', { minIntervalMs: -1 }],
    ['a daily cap of 0', { perDay: 0 }],
    ['quiet hours at 25:00', { quietHours: { start: '25:00', end: '06:00' } }],
    ['typing that is not an object', { typing: 'fast' }],
    ['pacing that is not an object', 'slow'],
  ])('refuses %s with 400 and changes nothing', async (_, pacing) => {
    const { sessionId } = await createSession(api);
    await patch(sessionId, { pacing: { perDay: 700 } });
    const answer = await patch(sessionId, { pacing });
    expect([answer.status, answer.json.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(answer.json.details.some((d: { field: string }) => d.field.startsWith('pacing'))).toBe(true);
    expect((await api('GET', `/api/sessions/${sessionId}`, { admin: true })).json.session.pacing.perDay).toBe(700);
  });

  it('is the admin\'s: a session key is refused', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const answer = await api('PATCH', `/api/sessions/${sessionId}`, { key: apiKey, body: { pacing: { enabled: false } } });
    expect([401, 403]).toContain(answer.status);
    expect((await api('GET', `/api/sessions/${sessionId}`, { admin: true })).json.session.pacing).toBeNull();
  });
});
