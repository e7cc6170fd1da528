// The outbound queue's routes through the real Worker in workerd and a scripted connector: the queue.*
// commands they relay, the answers, and every refusal (malformed, missing, oversized, unauthorised,
// another session's), none of which reaches the connector.
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
  ({ script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'queue-routes' }));
});
afterAll(async () => {
  await script.close();
  await stack.close();
});

type Answer = (id: string, command: any) => unknown;

/** Makes the request and answers the command the hub relays for that session; resolves with both. */
async function answered(method: string, path: string, apiKey: string, sessionId: string, body: unknown, answer: Answer) {
  const response = api(method, path, { key: apiKey, ...(body === undefined ? {} : { body }) });
  const frame = await script.next('command', (f) => f.command.sessionId === sessionId);
  script.send(answer(frame.id, frame.command) as never);
  return { command: frame.command as any, response: await response };
}

const queued: Answer = (id, command) => ({ type: 'result', id, ok: true, data: { queued: command.items.map((_: unknown, i: number) => ({ messageId: `3EB0QUEUED${i}` })) } });
const queueState = { depth: 2, paused: false, pausedReason: null, nextSendAt: 1_700_000_005_000, etaAt: 1_700_000_013_000 };
const state: Answer = (id) => ({ type: 'result', id, ok: true, data: { queue: queueState } });
const refused = (code: string, extra: Record<string, unknown> = {}): Answer => (id) => ({ type: 'result', id, ok: false, error: { code, message: 'nope', ...extra } });
const text = (to: string, body: string) => ({ to, type: 'text', text: { body } });

/** Proves the refused request relayed nothing: the next command for the session is this probe's. */
async function probe(apiKey: string, sessionId: string) {
  const { command } = await answered('GET', '/api/queue', apiKey, sessionId, undefined, state);
  expect(command.name).toBe('queue.status');
}

describe('POST /api/messages with "queue": true', () => {
  it('relays queue.enqueue with the normalised message and answers 202 with its WhatsApp id', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const { command, response } = await answered('POST', '/api/messages', apiKey, sessionId, { ...text('0812-3456-7890', 'nanti'), queue: true }, queued);
    expect(command).toEqual({ name: 'queue.enqueue', sessionId, items: [{ to: '6281234567890', message: { type: 'text', text: 'nanti' } }] });
    expect([response.status, response.json]).toEqual([202, { success: true, messageId: '3EB0QUEUED0', status: 'queued' }]);
  });

  it('refuses a queued media message with 400, asking no connector', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const { status, json } = await api('POST', '/api/messages', { key: apiKey, body: { to: '6281234567890', type: 'image', image: { mediaId: 'med_0123456789abcdef' }, queue: true } });
    expect([status, json.code]).toEqual([400, 'VALIDATION_FAILED']);
    await probe(apiKey, sessionId);
  });

  it('refuses "queue" that is not a boolean with 400', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const { status, json } = await api('POST', '/api/messages', { key: apiKey, body: { ...text('6281234567890', 'x'), queue: 'yes' } });
    expect([status, json.details.map((d: { field: string }) => d.field)]).toEqual([400, ['queue']]);
    await probe(apiKey, sessionId);
  });
});

describe('POST /api/messages/batch', () => {
  it('relays one queue.enqueue with every message in order and answers one id per message, in order', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const messages = [text('6281111111111', 'a'), { to: '120363025246125486@g.us', type: 'poll', poll: { name: 'Q?', options: ['x', 'y'] } }, text('082222222222', 'c')];
    const { command, response } = await answered('POST', '/api/messages/batch', apiKey, sessionId, { messages }, queued);
    expect(command.items.map((i: { to: string; message: { type: string } }) => [i.to, i.message.type])).toEqual([
      ['6281111111111', 'text'],
      ['120363025246125486@g.us', 'poll'],
      ['6282222222222', 'text'],
    ]);
    expect(response.status).toBe(202);
    expect(response.json.messages).toEqual([0, 1, 2].map((i) => ({ success: true, messageId: `3EB0QUEUED${i}`, status: 'queued' })));
  });

  it('takes 1,000 messages in one request', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const messages = Array.from({ length: 1_000 }, (_, i) => text('6281234567890', `promo ${i}`));
    const { command, response } = await answered('POST', '/api/messages/batch', apiKey, sessionId, { messages }, queued);
    expect(command.items).toHaveLength(1_000);
    expect([response.status, response.json.messages.length]).toEqual([202, 1_000]);
  });

  it.each([
    ['1,001 messages', { messages: Array.from({ length: 1_001 }, () => text('6281234567890', 'x')) }, 'messages'],
    ['no messages', {}, 'messages'],
    ['an empty list', { messages: [] }, 'messages'],
    ['messages that is not a list', { messages: 'hi' }, 'messages'],
    ['a bad recipient in the third', { messages: [text('6281234567890', 'a'), text('6281234567890', 'b'), text('0812abc', 'c')] }, 'messages.2.to'],
    ['a blank text in the second', { messages: [text('6281234567890', 'a'), text('6281234567890', '  ')] }, 'messages.1.text.body'],
    ['an image', { messages: [{ to: '6281234567890', type: 'image', image: { mediaId: 'med_0123456789abcdef' } }] }, 'messages.0.type'],
    ['an unknown field', { messages: [text('6281234567890', 'a')], priority: 1 }, '(body)'],
  ])('refuses %s with a 400 naming the field and queues nothing', async (_, body, field) => {
    const { sessionId, apiKey } = await createSession(api);
    const { status, json } = await api('POST', '/api/messages/batch', { key: apiKey, body });
    expect([status, json.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(json.details.map((d: { field: string }) => d.field)).toContain(field);
    await probe(apiKey, sessionId);
  });

  it('refuses malformed JSON with 400 and a body over 2 MiB with 413', async () => {
    const { sessionId, apiKey } = await createSession(api);
    expect((await api('POST', '/api/messages/batch', { key: apiKey, body: '{"messages": [' })).json).toMatchObject({ code: 'MALFORMED_JSON' });
    const huge = await api('POST', '/api/messages/batch', { key: apiKey, body: { messages: [text('6281234567890', 'x'.repeat(3 * 1024 * 1024))] } });
    expect([huge.status, huge.json.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    await probe(apiKey, sessionId);
  });

  it('answers 503 when the connector is away, and maps its refusals', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const { response } = await answered('POST', '/api/messages/batch', apiKey, sessionId, { messages: [text('6281234567890', 'x')] }, refused('SHUTTING_DOWN'));
    expect([response.status, response.json.code]).toEqual([503, 'CONNECTOR_OFFLINE']);
  });
});

describe('the queue', () => {
  it('GET /api/queue answers depth, next send, ETA and pause', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const { command, response } = await answered('GET', '/api/queue', apiKey, sessionId, undefined, state);
    expect(command).toEqual({ name: 'queue.status', sessionId });
    expect([response.status, response.json]).toEqual([200, { success: true, queue: queueState }]);
  });

  it.each([
    ['pause', 'pause'],
    ['resume', 'resume'],
  ])('POST /api/queue/%s relays queue.%s and answers the queue', async (action) => {
    const { sessionId, apiKey } = await createSession(api);
    const { command, response } = await answered('POST', `/api/queue/${action}`, apiKey, sessionId, undefined, state);
    expect(command).toEqual({ name: `queue.${action}`, sessionId });
    expect(response.json).toEqual({ success: true, queue: queueState });
  });

  it('DELETE /api/queue/{id} cancels one still queued, 409 once sent, 404 when unknown', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const ok = await answered('DELETE', '/api/queue/3EB0AAA', apiKey, sessionId, undefined, (id) => ({ type: 'result', id, ok: true, data: { cancelled: '3EB0AAA' } }));
    expect(ok.command).toEqual({ name: 'queue.cancel', sessionId, messageId: '3EB0AAA' });
    expect([ok.response.status, ok.response.json]).toEqual([200, { success: true, messageId: '3EB0AAA', status: 'cancelled' }]);
    const sent = await answered('DELETE', '/api/queue/3EB0BBB', apiKey, sessionId, undefined, refused('ALREADY_SENT'));
    expect([sent.response.status, sent.response.json.code]).toEqual([409, 'ALREADY_SENT']);
    const unknown = await answered('DELETE', '/api/queue/3EB0CCC', apiKey, sessionId, undefined, refused('MESSAGE_NOT_FOUND'));
    expect([unknown.response.status, unknown.response.json.code]).toEqual([404, 'MESSAGE_NOT_FOUND']);
    const long = await api('DELETE', `/api/queue/${'x'.repeat(129)}`, { key: apiKey });
    expect(long.status).toBe(400);
  });

  it.each([
    ['GET', '/api/queue'],
    ['POST', '/api/queue/pause'],
    ['POST', '/api/queue/resume'],
    ['DELETE', '/api/queue/3EB0AAA'],
    ['POST', '/api/messages/batch'],
  ])('%s %s needs a session key: none, a wrong one or the admin token is 401', async (method, path) => {
    const body = method === 'POST' ? { messages: [text('6281234567890', 'x')] } : undefined;
    expect((await api(method, path, { body })).status).toBe(401);
    expect((await api(method, path, { body, key: `kbr_${'A'.repeat(43)}` })).status).toBe(401);
    expect((await api(method, path, { body, admin: true })).status).toBe(401);
  });

  it("acts on the key's own session only: another session's id in the body is refused", async () => {
    const mine = await createSession(api);
    const other = await createSession(api);
    const { command } = await answered('POST', '/api/queue/pause', mine.apiKey, mine.sessionId, undefined, state);
    expect(command.sessionId).toBe(mine.sessionId);
    const redirected = await api('POST', '/api/messages/batch', { key: mine.apiKey, body: { messages: [text('6281234567890', 'x')], sessionId: other.sessionId } });
    expect(redirected.status).toBe(400);
    await probe(other.apiKey, other.sessionId);
  });
});

describe('synchronous sends at the pace', () => {
  it('answers 429 with Retry-After when the connector says the pace does not allow the send within its budget', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const { response } = await answered('POST', '/api/messages', apiKey, sessionId, text('6281234567890', 'now?'), refused('RATE_LIMITED', { retryAfterMs: 4_200 }));
    expect([response.status, response.json.code, response.headers.get('retry-after')]).toEqual([429, 'RATE_LIMITED', '5']);
  });
});
