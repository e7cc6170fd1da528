// The group calls through the real Worker in workerd and a scripted connector: the command each relays
// (group ids and phones normalised), the answer, the refusals before any connector is asked, and the
// connector's refusals as statuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import type { ConnectorFrame, HubFrame } from '../../shared/protocol.ts';

let stack: Stack;
let api: Api;
let script: Awaited<ReturnType<typeof connectScripted>>['script'];

const GROUP = '120363012345678901@g.us';
const group = {
  id: GROUP,
  subject: 'Night shift',
  announce: false,
  locked: false,
  size: 2,
  owner: '6281234567890',
  participants: [
    { phone: '6281234567890', lid: '104839201938475@lid', role: 'superadmin' },
    { phone: null, lid: '204839201938476@lid', role: 'member' },
  ],
};

beforeAll(async () => {
  stack = await startStack({ COMMAND_TIMEOUT_MS: '1500' });
  api = apiOf(stack);
  ({ script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'grouper' }));
});
afterAll(async () => {
  await script?.close();
  await stack.close();
});

type Command = Extract<HubFrame, { type: 'command' }>;
type Data = Extract<ConnectorFrame, { type: 'result'; ok: true }>['data'];

/** Makes the call, answers the command it relays with `data` (or an error), and returns both. */
async function relayed(sessionId: string, call: Promise<{ status: number; json: any }>, answer: Data | { code: string; message: string }) {
  const command = await script.next('command', (f) => f.command.sessionId === sessionId);
  if ('code' in answer && 'message' in answer && !('groupId' in answer)) {
    script.send({ type: 'result', id: command.id, ok: false, error: answer as { code: 'SEND_FAILED'; message: string } });
  } else script.send({ type: 'result', id: command.id, ok: true, data: answer as Data });
  return { command: (command as Command).command, answer: await call };
}

describe('group calls', () => {
  it('relays each call as its group command, with the group id and phones normalised, and answers with the result', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const call = (method: string, path: string, body?: unknown) => api(method, path, { key: apiKey, ...(body === undefined ? {} : { body }) });

    const list = await relayed(sessionId, call('GET', '/api/groups'), { groups: [{ id: GROUP, subject: 'Night shift', announce: false, locked: false, size: 2 }] });
    expect(list.command).toEqual({ name: 'group.list', sessionId });
    expect(list.answer).toMatchObject({ status: 200, json: { success: true, groups: [{ id: GROUP, size: 2 }] } });

    const created = await relayed(sessionId, call('POST', '/api/groups', { subject: 'Night shift', participants: ['0898-7654-3210', '6289876543210'] }), { group });
    expect(created.command).toEqual({ name: 'group.create', sessionId, subject: 'Night shift', participants: ['6289876543210'] });
    expect(created.answer).toMatchObject({ status: 201, json: { success: true, group } });

    // Without "@g.us" too; answers always name the group with it.
    const read = await relayed(sessionId, call('GET', '/api/groups/120363012345678901'), { group });
    expect(read.command).toEqual({ name: 'group.get', sessionId, groupId: GROUP });
    expect(read.answer.json.group.id).toBe(GROUP);

    const updated = await relayed(sessionId, call('PATCH', `/api/groups/${GROUP}`, { subject: 'Day shift', locked: true, description: '' }), {
      group: { ...group, subject: 'Day shift', locked: true },
    });
    expect(updated.command).toEqual({ name: 'group.update', sessionId, groupId: GROUP, subject: 'Day shift', locked: true, description: '' });
    expect(updated.answer).toMatchObject({ status: 200, json: { group: { subject: 'Day shift', locked: true } } });

    const results = [
      { phone: '6289876543210', status: 200, outcome: 'OK' },
      { phone: '6281111111111', status: 403, outcome: 'PRIVACY' },
    ];
    const added = await relayed(sessionId, call('POST', `/api/groups/${GROUP}/participants`, { action: 'add', participants: ['6289876543210', '+62 811-1111-1111'] }), { results });
    expect(added.command).toEqual({ name: 'group.participants', sessionId, groupId: GROUP, action: 'add', participants: ['6289876543210', '6281111111111'] });
    expect(added.answer).toMatchObject({ status: 200, json: { success: true, results } });

    const invite = { code: 'Fq3vXk2mP9aB7cD1eF4gH5', link: 'https://chat.whatsapp.com/Fq3vXk2mP9aB7cD1eF4gH5' };
    const got = await relayed(sessionId, call('GET', `/api/groups/${GROUP}/invite`), { invite });
    expect(got.command).toEqual({ name: 'group.invite', sessionId, groupId: GROUP });
    expect(got.answer).toMatchObject({ status: 200, json: { success: true, ...invite } });
    const revoked = await relayed(sessionId, call('POST', `/api/groups/${GROUP}/invite/revoke`), { invite });
    expect(revoked.command).toEqual({ name: 'group.invite', sessionId, groupId: GROUP, revoke: true });

    const joined = await relayed(sessionId, call('POST', '/api/groups/join', { code: 'https://chat.whatsapp.com/Fq3vXk2mP9aB7cD1eF4gH5' }), { groupId: GROUP, member: true });
    expect(joined.command).toEqual({ name: 'group.join', sessionId, code: 'Fq3vXk2mP9aB7cD1eF4gH5' });
    expect(joined.answer).toMatchObject({ status: 200, json: { success: true, groupId: GROUP } });

    const left = await relayed(sessionId, call('POST', '/api/groups/120363012345678901/leave'), { groupId: GROUP, member: false });
    expect(left.command).toEqual({ name: 'group.leave', sessionId, groupId: GROUP });
    expect(left.answer).toMatchObject({ status: 200, json: { success: true, groupId: GROUP } });
  });

  it("maps the connector's refusals: unknown group 404, not an admin 403, bad invite 404, not connected 409", async () => {
    const { sessionId, apiKey } = await createSession(api);
    const cases = [
      ['GET', `/api/groups/${GROUP}`, undefined, 'GROUP_NOT_FOUND', 404, 'GROUP_NOT_FOUND'],
      ['PATCH', `/api/groups/${GROUP}`, { announce: true }, 'NOT_GROUP_ADMIN', 403, 'NOT_GROUP_ADMIN'],
      ['POST', '/api/groups/join', { code: 'Fq3vXk2mP9aB7cD1eF4gH5' }, 'INVITE_INVALID', 404, 'INVITE_INVALID'],
      ['GET', '/api/groups', undefined, 'SESSION_NOT_CONNECTED', 409, 'SESSION_NOT_CONNECTED'],
      ['POST', `/api/groups/${GROUP}/leave`, undefined, 'SEND_FAILED', 502, 'SEND_FAILED'],
    ] as const;
    for (const [method, path, body, code, status, apiCode] of cases) {
      const { answer } = await relayed(sessionId, api(method, path, { key: apiKey, ...(body ? { body } : {}) }), { code, message: 'refused' });
      expect(answer, `${method} ${path}`).toMatchObject({ status, json: { success: false, code: apiCode } });
    }
  });

  it('refuses malformed and missing input with 400 naming the field, before asking the connector', async () => {
    const { apiKey } = await createSession(api);
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/groups', { participants: [] }, 'subject'],
      ['POST', '/api/groups', { subject: 'x'.repeat(101), participants: [] }, 'subject'],
      ['POST', '/api/groups', { subject: 'ok', participants: ['not a phone'] }, 'participants.0'],
      ['POST', '/api/groups', { subject: 'ok', participants: '6289876543210' }, 'participants'],
      ['POST', '/api/groups', { subject: 'ok', participants: [], sessionId: 'other' }, '(body)'],
      ['GET', '/api/groups/status@broadcast', undefined, 'groupId'],
      ['GET', '/api/groups/6289876543210@s.whatsapp.net', undefined, 'groupId'],
      ['PATCH', `/api/groups/${GROUP}`, {}, '(body)'],
      ['PATCH', `/api/groups/${GROUP}`, { announce: 'yes' }, 'announce'],
      ['PATCH', `/api/groups/${GROUP}`, { subject: '' }, 'subject'],
      ['PATCH', '/api/groups/120363000000000001@newsletter', { subject: 'x' }, 'groupId'],
      ['POST', `/api/groups/${GROUP}/participants`, { action: 'ban', participants: ['6289876543210'] }, 'action'],
      ['POST', `/api/groups/${GROUP}/participants`, { action: 'add', participants: [] }, 'participants'],
      ['POST', `/api/groups/${GROUP}/participants`, { action: 'add' }, 'participants'],
      ['POST', '/api/groups/join', {}, 'code'],
      ['POST', '/api/groups/join', { code: 'https://evil.example/x y' }, 'code'],
      ['POST', '/api/groups/12@g.us/leave', undefined, 'groupId'],
    ];
    for (const [method, path, body, field] of cases) {
      const { status, json } = await api(method, path, { key: apiKey, ...(body === undefined ? {} : { body }) });
      expect(status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(json, `${method} ${path}`).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
      expect(json.details.map((d: { field: string }) => d.field), `${method} ${path}`).toContain(field);
    }
    expect((await api('POST', '/api/groups', { key: apiKey, body: '{oops', contentType: 'application/json' })).json.code).toBe('MALFORMED_JSON');
  });

  it('refuses every group call without a valid key (401), and acts only on the key’s own session', async () => {
    const other = await createSession(api);
    const { sessionId, apiKey } = await createSession(api);
    for (const [method, path] of [
      ['GET', '/api/groups'],
      ['POST', '/api/groups'],
      ['GET', `/api/groups/${GROUP}`],
      ['PATCH', `/api/groups/${GROUP}`],
      ['POST', `/api/groups/${GROUP}/participants`],
      ['GET', `/api/groups/${GROUP}/invite`],
      ['POST', `/api/groups/${GROUP}/invite/revoke`],
      ['POST', '/api/groups/join'],
      ['POST', `/api/groups/${GROUP}/leave`],
    ] as const) {
      expect((await api(method, path)).status, `${method} ${path}`).toBe(401);
      expect((await api(method, path, { key: 'kbr_not-a-real-key' })).status, `${method} ${path}`).toBe(401);
    }
    // The key names the session; there is no way to name another in a group call.
    const { command, answer } = await relayed(sessionId, api('GET', `/api/groups/${GROUP}`, { key: apiKey, headers: { 'x-session-id': other.sessionId } }), { group });
    expect(command).toMatchObject({ sessionId });
    expect(answer.status).toBe(200);
  });

  it('documents every group route in the OpenAPI document, with examples', async () => {
    const { status, json } = await api('GET', '/openapi.json');
    expect(status).toBe(200);
    for (const path of ['/api/groups', '/api/groups/{groupId}', '/api/groups/{groupId}/participants', '/api/groups/{groupId}/invite', '/api/groups/{groupId}/invite/revoke', '/api/groups/join', '/api/groups/{groupId}/leave']) {
      expect(json.paths[path], path).toBeDefined();
    }
    expect(json.components.schemas.Group.example.id).toBe(GROUP);
  });

  it('sends POST /api/messages to a group named with or without @g.us, with mentions as phones', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const sent = { messageId: 'WAMSG1', remoteJid: GROUP, timestamp: 1_700_000_000, type: 'text' as const };
    const bare = await relayed(sessionId, api('POST', '/api/messages', { key: apiKey, body: { to: '120363012345678901', type: 'text', text: { body: 'hi @6289876543210' }, mentions: ['0898-7654-3210'] } }), sent);
    expect(bare.command).toEqual({ name: 'send.message', sessionId, to: GROUP, message: { type: 'text', text: 'hi @6289876543210' }, mentions: ['6289876543210'] });
    expect(bare.answer).toMatchObject({ status: 200, json: { result: { key: { remoteJid: GROUP } } } });
    const full = await relayed(sessionId, api('POST', '/api/messages', { key: apiKey, body: { to: GROUP, type: 'text', text: { body: 'hi' } } }), sent);
    expect(full.command).toEqual({ name: 'send.message', sessionId, to: GROUP, message: { type: 'text', text: 'hi' } });
  });

  it('refuses a message to anything but a phone or a group, and bad mentions, with 400', async () => {
    const { apiKey } = await createSession(api);
    for (const [to, mentions, field] of [
      ['status@broadcast', undefined, 'to'],
      ['120363012345678901@newsletter', undefined, 'to'],
      ['123456789012345@lid', undefined, 'to'],
      ['12345@broadcast', undefined, 'to'],
      ['6281234567890', ['not a phone'], 'mentions.0'],
      ['6281234567890', '6289876543210', 'mentions'],
    ] as const) {
      const { status, json } = await api('POST', '/api/messages', { key: apiKey, body: { to, type: 'text', text: { body: 'x' }, ...(mentions ? { mentions } : {}) } });
      expect(status, `${to} ${JSON.stringify(mentions)}`).toBe(400);
      expect(json.details.map((d: { field: string }) => d.field), to).toContain(field);
    }
  });

  it('answers 503 at once while no connector holds the session', async () => {
    await script.close();
    const { apiKey } = await createSession(api);
    expect(await api('GET', '/api/groups', { key: apiKey })).toMatchObject({ status: 503, json: { code: 'CONNECTOR_OFFLINE' } });
  });
});
