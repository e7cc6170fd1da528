// POST /api/messages through the real Worker in workerd and a scripted connector: the send.message command it
// relays, the answer, and each refusal with its status.
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
  ({ script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'messages' }));
});
afterAll(async () => {
  await script.close();
  await stack.close();
});

/** Sends the request and answers the command the hub relays with `data`; resolves with both. */
async function sendAnswered(apiKey: string, sessionId: string, body: unknown, answer: (id: string) => unknown) {
  const response = api('POST', '/api/messages', { key: apiKey, body });
  const command = await script.next('command', (f) => f.command.sessionId === sessionId);
  script.send(answer(command.id) as never);
  return { command: command.command, response: await response };
}

const ok = (remoteJid: string, type = 'text') => (id: string) => ({ type: 'result', id, ok: true, data: { messageId: 'WAMSG1', remoteJid, timestamp: 1_700_000_000, type } });

describe('POST /api/messages, type text', () => {
  it('relays send.message with the normalised phone and answers with the key, type and timestamp', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const { command, response } = await sendAnswered(apiKey, sessionId, { to: '0812-3456-7890', type: 'text', text: { body: 'halo 👋' } }, ok('6281234567890@s.whatsapp.net'));
    expect(command).toEqual({ name: 'send.message', sessionId, to: '6281234567890', message: { type: 'text', text: 'halo 👋' } });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      success: true,
      result: { key: { remoteJid: '6281234567890@s.whatsapp.net', id: 'WAMSG1', fromMe: true }, type: 'text', messageTimestamp: 1_700_000_000 },
    });
  });

  it('sends to a group JID as it is, and passes replyTo on', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const group = '120363025246125486@g.us';
    const { command, response } = await sendAnswered(apiKey, sessionId, { to: group, type: 'text', text: { body: 'rapat jam 3' }, replyTo: 'QUOTED1' }, ok(group));
    expect(command).toEqual({ name: 'send.message', sessionId, to: group, message: { type: 'text', text: 'rapat jam 3' }, replyTo: 'QUOTED1' });
    expect(response.json.result.key.remoteJid).toBe(group);
  });

  it.each([
    ['MESSAGE_NOT_FOUND', 404, 'MESSAGE_NOT_FOUND'],
    ['SESSION_NOT_CONNECTED', 409, 'SESSION_NOT_CONNECTED'],
    ['SEND_FAILED', 502, 'SEND_FAILED'],
    ['MEDIA_UNAVAILABLE', 502, 'MEDIA_UNAVAILABLE'],
    ['SHUTTING_DOWN', 503, 'CONNECTOR_OFFLINE'],
  ] as const)('maps a connector %s to %i', async (code, status, apiCode) => {
    const { sessionId, apiKey } = await createSession(api);
    const { response } = await sendAnswered(apiKey, sessionId, { to: '6281234567890', type: 'text', text: { body: 'x' } }, (id) => ({
      type: 'result',
      id,
      ok: false,
      error: { code, message: 'nope' },
    }));
    expect(response.status).toBe(status);
    expect(response.json).toMatchObject({ success: false, code: apiCode });
  });

  it('sends for the key\'s own session only, whatever session the connector holds besides', async () => {
    const mine = await createSession(api);
    const other = await createSession(api);
    const { command } = await sendAnswered(mine.apiKey, mine.sessionId, { to: '6281234567890', type: 'text', text: { body: 'x' } }, ok('6281234567890@s.whatsapp.net'));
    expect(command.sessionId).toBe(mine.sessionId);
    expect(command.sessionId).not.toBe(other.sessionId);
    // A sessionId in the body is not a field of this route: it cannot redirect the send either.
    const redirected = await api('POST', '/api/messages', { key: mine.apiKey, body: { to: '6281234567890', type: 'text', text: { body: 'x' }, sessionId: other.sessionId } });
    expect(redirected.status).toBe(400);
  });
});

describe('POST /api/messages refusals', () => {
  it.each([
    ['no type', { to: '6281234567890', text: { body: 'x' } }, 'type'],
    ['an unknown type', { to: '6281234567890', type: 'fax', fax: {} }, 'type'],
    ['no recipient', { type: 'text', text: { body: 'x' } }, 'to'],
    ['a recipient with letters', { to: '0812abc', type: 'text', text: { body: 'x' } }, 'to'],
    ['a broadcast recipient', { to: 'status@broadcast', type: 'text', text: { body: 'x' } }, 'to'],
    ['no text object', { to: '6281234567890', type: 'text' }, 'text'],
    ['text as a plain string', { to: '6281234567890', type: 'text', text: 'x' }, 'text'],
    ['a blank text', { to: '6281234567890', type: 'text', text: { body: '   ' } }, 'text.body'],
    ['a text over MAX_MESSAGE_LENGTH', { to: '6281234567890', type: 'text', text: { body: 'x'.repeat(4097) } }, 'text.body'],
    ['an unknown field', { to: '6281234567890', type: 'text', text: { body: 'x' }, priority: 'high' }, '(body)'],
    ['an image with no source', { to: '6281234567890', type: 'image', image: { caption: 'x' } }, 'image'],
    ['an image with two sources', { to: '6281234567890', type: 'image', image: { url: 'https://example.com/a.jpg', mediaId: 'med_0123456789abcdef' } }, 'image'],
    ['an image URL that is not https', { to: '6281234567890', type: 'image', image: { url: 'http://example.com/a.jpg' } }, 'image.url'],
    ['an image URL on loopback', { to: '6281234567890', type: 'image', image: { url: 'https://127.0.0.1:8443/a.jpg' } }, 'image.url'],
    ['a document URL at the cloud metadata address', { to: '6281234567890', type: 'document', document: { url: 'https://169.254.169.254/latest/meta-data/' } }, 'document.url'],
    ['a video URL on a private network', { to: '6281234567890', type: 'video', video: { url: 'https://192.168.1.10/v.mp4' } }, 'video.url'],
    ['data that is not base64', { to: '6281234567890', type: 'sticker', sticker: { data: 'not base64!' } }, 'sticker.data'],
    ['a caption on audio', { to: '6281234567890', type: 'audio', audio: { mediaId: 'med_0123456789abcdef', caption: 'x' } }, 'audio'],
    ['voice that is not a boolean', { to: '6281234567890', type: 'audio', audio: { mediaId: 'med_0123456789abcdef', voice: 'yes' } }, 'audio.voice'],
    ['a malformed mediaId', { to: '6281234567890', type: 'video', video: { mediaId: '../../etc' } }, 'video.mediaId'],
  ])('refuses %s with a 400 naming the field, asking no connector', async (_, body, field) => {
    const { sessionId, apiKey } = await createSession(api);
    const { status, json } = await api('POST', '/api/messages', { key: apiKey, body });
    expect(status).toBe(400);
    expect(json.code).toBe('VALIDATION_FAILED');
    expect(json.details.map((d: { field: string }) => d.field)).toContain(field);
    // The next command for this session is the probe's, so the refused request sent none.
    const probe = sendAnswered(apiKey, sessionId, { to: '6281234567890', type: 'text', text: { body: 'probe' } }, ok('6281234567890@s.whatsapp.net'));
    expect((await probe).command).toMatchObject({ message: { text: 'probe' } });
  });

  it('refuses malformed JSON with 400 and a form body with 415', async () => {
    const { apiKey } = await createSession(api);
    expect((await api('POST', '/api/messages', { key: apiKey, body: '{"to": ' })).json).toMatchObject({ code: 'MALFORMED_JSON' });
    const form = await api('POST', '/api/messages', { key: apiKey, body: 'to=1&type=text', contentType: 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
  });

  it('refuses a body over the inline limit with 413', async () => {
    const { apiKey } = await createSession(api);
    const { status, json } = await api('POST', '/api/messages', { key: apiKey, body: { to: '6281234567890', type: 'sticker', sticker: { data: 'A'.repeat(8 * 1024 * 1024) } } });
    expect(status).toBe(413);
    expect(json.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('needs a session key: none or a wrong one is 401, the admin token too', async () => {
    const body = { to: '6281234567890', type: 'text', text: { body: 'x' } };
    expect((await api('POST', '/api/messages', { body })).status).toBe(401);
    expect((await api('POST', '/api/messages', { body, key: `kbr_${'A'.repeat(43)}` })).status).toBe(401);
    expect((await api('POST', '/api/messages', { body, admin: true })).status).toBe(401);
  });

  it('answers 503 when no connector holds the session', async () => {
    const { apiKey } = await createSession(api);
    await script.close();
    try {
      const { status, json } = await api('POST', '/api/messages', { key: apiKey, body: { to: '6281234567890', type: 'text', text: { body: 'x' } } });
      expect([status, json.code]).toEqual([503, 'CONNECTOR_OFFLINE']);
    } finally {
      ({ script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'messages' }));
    }
  });
});
