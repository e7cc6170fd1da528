// The admin's sends as a session (POST /api/sessions/{id}/messages and /media) through the real Worker in
// workerd, its local R2 and a scripted connector: the same requests and answers as the session-key routes,
// the file behind the command's link byte-exact, and every refusal (unauthorised, unknown session, bad input)
// relaying nothing and storing nothing.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), Buffer.from('JFIF\0'), randomBytes(3000)]);
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(2000)]);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let stack: Stack;
let api: Api;
let script: ScriptedConnector;

beforeAll(async () => {
  stack = await startStack();
  api = apiOf(stack);
  ({ script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'admin-sender' }));
});
afterAll(async () => {
  await script?.close();
  await stack?.close();
});

type SendCommand = Extract<Command, { name: 'send.message' }>;

/** Sends as the admin, answers the relayed command as a connector would, and resolves with both. */
async function send(sessionId: string, body: unknown) {
  const response = api('POST', `/api/sessions/${sessionId}/messages`, { admin: true, body });
  const frame = await Promise.race([script.next('command', (f) => f.command.sessionId === sessionId), response.then((r) => ({ refused: r }) as const)]);
  if ('refused' in frame) throw new Error(`no command was sent: ${frame.refused.status} ${JSON.stringify(frame.refused.json)}`);
  const command = frame.command as SendCommand;
  script.send({ type: 'result', id: frame.id, ok: true, data: { messageId: 'WAADMIN1', remoteJid: '6281234567890@s.whatsapp.net', timestamp: 1_700_000_000, type: command.message.type } });
  return { command, response: await response };
}

function upload(sessionId: string, bytes: Buffer, type: string, headers: Record<string, string> = {}) {
  return fetch(`${stack.url}/api/sessions/${sessionId}/media`, { method: 'POST', headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': type, ...headers }, body: bytes });
}

async function storedCount(sessionId: string): Promise<number> {
  const env = (await stack.worker.getEnv()) as { MEDIA: R2Bucket };
  return (await env.MEDIA.list({ prefix: `${sessionId}/` })).objects.length;
}

/** Nothing was relayed for the session: the next command for it is this probe's. */
async function nothingRelayed(sessionId: string) {
  const probe = await send(sessionId, { to: '6281234567890', type: 'text', text: { body: 'probe' } });
  expect(probe.command.message).toEqual({ type: 'text', text: 'probe' });
}

describe('sending as a session with the admin token', () => {
  it('sends text with the body and answer of POST /api/messages', async () => {
    const { sessionId } = await createSession(api);
    const { command, response } = await send(sessionId, { to: '081234567890', type: 'text', text: { body: 'Halo dari dasbor' } });
    expect(response.json).toEqual({ success: true, result: { key: { remoteJid: '6281234567890@s.whatsapp.net', id: 'WAADMIN1', fromMe: true }, type: 'text', messageTimestamp: 1_700_000_000 } });
    expect(command).toMatchObject({ name: 'send.message', sessionId, to: '6281234567890', message: { type: 'text', text: 'Halo dari dasbor' } });
  });

  it("uploads a file into the session's media and sends it by mediaId: the link behind the command serves the same bytes", async () => {
    const { sessionId, apiKey } = await createSession(api);
    const uploaded = await upload(sessionId, PDF, 'application/pdf', { 'x-kabar-filename': encodeURIComponent('Laporan Mei.pdf') });
    expect(uploaded.status).toBe(201);
    const stored = (await uploaded.json()) as { mediaId: string; size: number; sha256: string; mimetype: string };
    expect(stored).toMatchObject({ success: true, mimetype: 'application/pdf', size: PDF.length, sha256: sha256(PDF) });
    const { command } = await send(sessionId, { to: '6281234567890', type: 'document', document: { mediaId: stored.mediaId, caption: 'laporan' } });
    expect(command.message).toMatchObject({ type: 'document', filename: 'Laporan Mei.pdf', caption: 'laporan', media: { id: stored.mediaId, size: PDF.length, sha256: sha256(PDF) } });
    if (command.message.type !== 'document') throw new Error('not a document');
    const behind = await fetch(command.message.media.url);
    expect(sha256(Buffer.from(await behind.arrayBuffer()))).toBe(sha256(PDF));
    // The session's own key reads it back: it is the session's file, not the admin's.
    const read = await fetch(`${stack.url}/api/media/${stored.mediaId}`, { headers: { 'x-api-key': apiKey } });
    expect(sha256(Buffer.from(await read.arrayBuffer()))).toBe(sha256(PDF));
  });

  it('refuses no token, a wrong token (401) and a session key (403) on both routes, relaying and storing nothing', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const body = { to: '6281234567890', type: 'text', text: { body: 'x' } };
    const path = `/api/sessions/${sessionId}/messages`;
    expect(await api('POST', path, { body })).toMatchObject({ status: 401, json: { success: false, code: 'UNAUTHORISED' } });
    expect(await api('POST', path, { body, headers: { authorization: 'Bearer not-the-token' } })).toMatchObject({ status: 401, json: { code: 'UNAUTHORISED' } });
    expect(await api('POST', path, { body, key: apiKey })).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
    const media = `${stack.url}/api/sessions/${sessionId}/media`;
    for (const headers of [{}, { authorization: 'Bearer not-the-token' }, { 'x-api-key': apiKey }]) {
      const answer = await fetch(media, { method: 'POST', headers: { 'content-type': 'image/jpeg', ...headers }, body: JPEG });
      expect([401, 403]).toContain(answer.status);
      expect(await answer.json()).toMatchObject({ success: false });
    }
    expect(await storedCount(sessionId)).toBe(0);
    await nothingRelayed(sessionId);
  });

  it('answers 404 for an unknown session and 400 for a malformed id, storing nothing', async () => {
    const send = await api('POST', '/api/sessions/no-such-session/messages', { admin: true, body: { to: '6281234567890', type: 'text', text: { body: 'x' } } });
    expect(send).toMatchObject({ status: 404, json: { success: false, code: 'SESSION_NOT_FOUND' } });
    const uploaded = await upload('no-such-session', JPEG, 'image/jpeg');
    expect(uploaded.status).toBe(404);
    expect(await uploaded.json()).toMatchObject({ code: 'SESSION_NOT_FOUND' });
    expect(await storedCount('no-such-session')).toBe(0);
    const malformed = await upload('bad%20id!', JPEG, 'image/jpeg');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('refuses bad input as POST /api/messages and /api/media do: 400 naming the field, nothing relayed or stored', async () => {
    const { sessionId } = await createSession(api);
    const noText = await api('POST', `/api/sessions/${sessionId}/messages`, { admin: true, body: { to: '6281234567890', type: 'text', text: {} } });
    expect(noText).toMatchObject({ status: 400, json: { code: 'VALIDATION_FAILED' } });
    expect(JSON.stringify(noText.json.details)).toContain('text');
    const unknownMedia = await api('POST', `/api/sessions/${sessionId}/messages`, { admin: true, body: { to: '6281234567890', type: 'image', image: { mediaId: 'med_doesnotexist0000000000' } } });
    expect(unknownMedia).toMatchObject({ status: 404, json: { code: 'MEDIA_NOT_FOUND' } });
    const notAnImage = await upload(sessionId, PDF, 'image/jpeg');
    expect(notAnImage.status).toBe(400);
    expect(await notAnImage.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await storedCount(sessionId)).toBe(0);
    await nothingRelayed(sessionId);
  });
});
