// The message kinds beyond text and media on POST /api/messages, and the chat-action routes (edit, delete,
// read, typing, presence subscription, number check), through the real Worker in workerd and a scripted
// connector: the command each relays for the key's own session, the answer, and each refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

let stack: Stack;
let api: Api;
let script: ScriptedConnector;

beforeAll(async () => {
  stack = await startStack({ COMMAND_TIMEOUT_MS: '1500' });
  api = apiOf(stack);
  ({ script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'chat-actions' }));
});
afterAll(async () => {
  await script.close();
  await stack.close();
});

type Call = { method: string; path: string; body?: unknown };

/** Makes the call and answers the command the hub relays with `data` (or an error); resolves with both. */
async function answered(apiKey: string, sessionId: string, call: Call, answer: { data: unknown } | { error: { code: string; message: string } }) {
  const response = api(call.method, call.path, { key: apiKey, ...(call.body === undefined ? {} : { body: call.body }) });
  const command = await script.next('command', (f) => f.command.sessionId === sessionId);
  script.send({ type: 'result', id: command.id, ...('data' in answer ? { ok: true, data: answer.data } : { ok: false, error: answer.error }) } as never);
  return { command: command.command, response: await response };
}

const sent = (type: string) => ({ data: { messageId: 'WAMSG2', remoteJid: '6281234567890@s.whatsapp.net', timestamp: 1_700_000_000, type } });

describe('POST /api/messages, the other kinds', () => {
  it.each([
    ['location', { latitude: -6.1754, longitude: 106.8272, name: 'Monas' }, { type: 'location', latitude: -6.1754, longitude: 106.8272, name: 'Monas' }],
    ['reaction', { messageId: '3EB0AAA', emoji: '👍' }, { type: 'reaction', messageId: '3EB0AAA', emoji: '👍' }],
    ['reaction', { messageId: '3EB0AAA', emoji: '' }, { type: 'reaction', messageId: '3EB0AAA', emoji: '' }],
    ['poll', { name: 'Lunch?', options: ['nasi', 'mie'] }, { type: 'poll', name: 'Lunch?', options: ['nasi', 'mie'], selectableCount: 1 }],
    [
      'contacts',
      [{ name: 'Budi', phones: ['+62 812-3456-7890'] }, { name: 'Ani', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ani\nEND:VCARD' }],
      {
        type: 'contacts',
        contacts: [
          { name: 'Budi', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Budi\nTEL;type=CELL;waid=6281234567890:+6281234567890\nEND:VCARD' },
          { name: 'Ani', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ani\nEND:VCARD' },
        ],
      },
    ],
  ])('relays a %s as send.message', async (type, content, message) => {
    const { sessionId, apiKey } = await createSession(api);
    const { command, response } = await answered(apiKey, sessionId, { method: 'POST', path: '/api/messages', body: { to: '081234567890', type, [type]: content, replyTo: 'Q1' } }, sent(type));
    expect(command).toEqual({ name: 'send.message', sessionId, to: '6281234567890', message, replyTo: 'Q1' });
    expect(response.json).toMatchObject({ success: true, result: { key: { id: 'WAMSG2' }, type } });
  });

  it('answers a reaction to a message the connector does not have with 404', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const { response } = await answered(apiKey, sessionId, { method: 'POST', path: '/api/messages', body: { to: '6281234567890', type: 'reaction', reaction: { messageId: 'NOPE', emoji: '👍' } } }, {
      error: { code: 'MESSAGE_NOT_FOUND', message: 'message NOPE is unknown to this session' },
    });
    expect([response.status, response.json.code]).toEqual([404, 'MESSAGE_NOT_FOUND']);
  });

  it.each([
    ['a latitude out of range', { type: 'location', location: { latitude: 91, longitude: 0 } }, 'location.latitude'],
    ['a location without longitude', { type: 'location', location: { latitude: 1 } }, 'location.longitude'],
    ['a poll with one option', { type: 'poll', poll: { name: 'q', options: ['a'] } }, 'poll.options'],
    ['a poll with 13 options', { type: 'poll', poll: { name: 'q', options: Array.from({ length: 13 }, (_, i) => `o${i}`) } }, 'poll.options'],
    ['a poll allowing more picks than options', { type: 'poll', poll: { name: 'q', options: ['a', 'b'], selectableCount: 3 } }, 'poll'],
    ['a poll with the same option twice', { type: 'poll', poll: { name: 'q', options: ['a', 'a'] } }, 'poll'],
    ['a reaction without messageId', { type: 'reaction', reaction: { emoji: '👍' } }, 'reaction.messageId'],
    ['no contact cards', { type: 'contacts', contacts: [] }, 'contacts'],
    ['a card with neither phones nor vcard', { type: 'contacts', contacts: [{ name: 'x' }] }, 'contacts.0'],
    ['a vcard that is not one', { type: 'contacts', contacts: [{ name: 'x', vcard: 'hello' }] }, 'contacts.0.vcard'],
  ])('refuses %s with a 400 naming the field', async (_, body, field) => {
    const { apiKey } = await createSession(api);
    const { status, json } = await api('POST', '/api/messages', { key: apiKey, body: { to: '6281234567890', ...body } });
    expect(status).toBe(400);
    expect(json.details.map((d: { field: string }) => d.field)).toContain(field);
  });
});

describe('chat actions', () => {
  it.each([
    [{ method: 'PATCH', path: '/api/messages/3EB0X', body: { text: 'fixed' } }, { name: 'message.edit', messageId: '3EB0X', text: 'fixed' }, sent('text')],
    [{ method: 'DELETE', path: '/api/messages/3EB0X' }, { name: 'message.revoke', messageId: '3EB0X' }, sent('text')],
    [{ method: 'POST', path: '/api/chats/081234567890/read', body: { messageId: '3EB0Y' } }, { name: 'chat.read', chat: '6281234567890', messageId: '3EB0Y' }, { data: { done: true, messageId: '3EB0Y' } }],
    [{ method: 'POST', path: '/api/chats/081234567890/read' }, { name: 'chat.read', chat: '6281234567890' }, { data: { done: true, messageId: '3EB0Z' } }],
    [{ method: 'POST', path: '/api/chats/6281234567890/presence', body: { state: 'typing' } }, { name: 'chat.presence', chat: '6281234567890', state: 'typing' }, { data: { done: true } }],
    [{ method: 'POST', path: '/api/chats/6281234567890/presence/subscribe' }, { name: 'chat.subscribe', chat: '6281234567890' }, { data: { done: true } }],
    [
      { method: 'GET', path: '/api/contacts/081234567890' },
      { name: 'contacts.check', phones: ['6281234567890'] },
      { data: { contacts: [{ exists: true, phone: '6281234567890', jid: '6281234567890@s.whatsapp.net', lid: '100000001' }] } },
    ],
  ] as const)('%o relays its command for the key\'s own session', async (call, expected, answer) => {
    const { sessionId, apiKey } = await createSession(api);
    const { command, response } = await answered(apiKey, sessionId, call, answer);
    expect(command).toEqual({ ...expected, sessionId });
    expect(response.status).toBe(200);
    expect(response.json.success).toBe(true);
  });

  it('answers an edit and a delete with the message key, and GET /api/contacts with the contact', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const edit = await answered(apiKey, sessionId, { method: 'PATCH', path: '/api/messages/WAMSG2', body: { text: 'fixed' } }, sent('text'));
    expect(edit.response.json).toEqual({ success: true, result: { key: { remoteJid: '6281234567890@s.whatsapp.net', id: 'WAMSG2', fromMe: true }, messageTimestamp: 1_700_000_000 } });
    const contact = await answered(apiKey, sessionId, { method: 'GET', path: '/api/contacts/6289999999999' }, { data: { contacts: [{ exists: false, phone: '6289999999999', jid: '6289999999999@s.whatsapp.net' }] } });
    expect(contact.response.json).toEqual({ success: true, exists: false, phone: '6289999999999', jid: '6289999999999@s.whatsapp.net' });
  });

  it('checks numbers in bulk, normalised, answered in the order asked', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const contacts = [
      { exists: true, phone: '6281234567890', jid: '6281234567890@s.whatsapp.net' },
      { exists: false, phone: '6289999999999', jid: '6289999999999@s.whatsapp.net' },
    ];
    const { command, response } = await answered(apiKey, sessionId, { method: 'POST', path: '/api/contacts/check', body: { phones: ['081234567890', '6289999999999', '6281234567890'] } }, { data: { contacts } });
    expect(command).toEqual({ name: 'contacts.check', sessionId, phones: ['6281234567890', '6289999999999'] });
    expect(response.json).toEqual({ success: true, contacts: [contacts[0], contacts[1], contacts[0]] });
  });

  it.each([
    ['EDIT_WINDOW_CLOSED', 409],
    ['NOT_EDITABLE', 409],
    ['MESSAGE_NOT_FOUND', 404],
    ['SESSION_NOT_CONNECTED', 409],
    ['INVALID_COMMAND', 502],
  ] as const)('maps a connector %s on an edit to %i', async (code, status) => {
    const { sessionId, apiKey } = await createSession(api);
    const { response } = await answered(apiKey, sessionId, { method: 'PATCH', path: '/api/messages/3EB0X', body: { text: 'late' } }, { error: { code, message: 'no' } });
    expect(response.status).toBe(status);
    expect(response.json.success).toBe(false);
  });

  it.each([
    ['an edit without text', 'PATCH', '/api/messages/3EB0X', {}, 'text'],
    ['an edit with blank text', 'PATCH', '/api/messages/3EB0X', { text: '  ' }, 'text'],
    ['an edit with another field', 'PATCH', '/api/messages/3EB0X', { text: 'x', sessionId: 'other' }, '(body)'],
    ['a read of a chat that is not a phone', 'POST', '/api/chats/abc/read', {}, 'phone'],
    ['a presence state that does not exist', 'POST', '/api/chats/6281234567890/presence', { state: 'online' }, 'state'],
    ['a presence without state', 'POST', '/api/chats/6281234567890/presence', {}, 'state'],
    ['a contact that is not a phone', 'GET', '/api/contacts/hello', undefined, 'phone'],
    ['a check of no numbers', 'POST', '/api/contacts/check', { phones: [] }, 'phones'],
    ['a check of 51 numbers', 'POST', '/api/contacts/check', { phones: Array.from({ length: 51 }, (_, i) => `62812000000${String(i).padStart(2, '0')}`) }, 'phones'],
    ['a check with a bad number', 'POST', '/api/contacts/check', { phones: ['6281234567890', 'abc'] }, 'phones.1'],
  ])('refuses %s with a 400 naming the field', async (_, method, path, body, field) => {
    const { apiKey } = await createSession(api);
    const { status, json } = await api(method, path, { key: apiKey, ...(body === undefined ? {} : { body }) });
    expect(status).toBe(400);
    expect(json.code).toBe('VALIDATION_FAILED');
    expect(json.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it.each([
    ['PATCH', '/api/messages/3EB0X', { text: 'x' }],
    ['DELETE', '/api/messages/3EB0X', undefined],
    ['POST', '/api/chats/6281234567890/read', {}],
    ['POST', '/api/chats/6281234567890/presence', { state: 'typing' }],
    ['POST', '/api/chats/6281234567890/presence/subscribe', undefined],
    ['GET', '/api/contacts/6281234567890', undefined],
    ['POST', '/api/contacts/check', { phones: ['6281234567890'] }],
  ])('%s %s needs a session key: none, a wrong one or the admin token is 401', async (method, path, body) => {
    const options = body === undefined ? {} : { body };
    expect((await api(method, path, options)).status).toBe(401);
    expect((await api(method, path, { ...options, key: `kbr_${'A'.repeat(43)}` })).status).toBe(401);
    expect((await api(method, path, { ...options, admin: true })).status).toBe(401);
  });
});
