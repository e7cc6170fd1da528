// Media sends on POST /api/messages through the real Worker in workerd, a real local R2, a scripted connector
// and a real HTTP file server on loopback (allowed here by the development switch MEDIA_ALLOW_PRIVATE_URLS):
// the file reaches R2 once, the command carries a signed link that serves exactly those bytes, and every
// refusal leaves nothing stored.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

const MAX = 10 * 1024 * 1024;
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), Buffer.from('JFIF\0'), randomBytes(3000)]);
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(2000)]);
const OGG = Buffer.concat([Buffer.from('OggS\0\x02', 'latin1'), randomBytes(1500)]);
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), randomBytes(4000)]);
const WEBP = Buffer.concat([Buffer.from('RIFF\x24\0\0\0WEBPVP8 ', 'latin1'), randomBytes(300)]);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let stack: Stack;
let api: Api;
let script: ScriptedConnector;
let files: Server;
let filesUrl: string;

beforeAll(async () => {
  files = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path === '/photo.jpg') return response.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG);
    if (path === '/files/Laporan%20Mei.pdf') return response.writeHead(200, { 'content-type': 'application/pdf' }).end(PDF);
    if (path === '/moved') return response.writeHead(302, { location: '/hop' }).end();
    if (path === '/hop') return response.writeHead(301, { location: `${filesUrl}/photo.jpg` }).end();
    if (path === '/huge') return response.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(MAX + 1) }).end();
    if (path === '/not-a-photo') return response.writeHead(200, { 'content-type': 'image/jpeg' }).end(PDF);
    response.writeHead(404).end('not here');
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  stack = await startStack({ COMMAND_TIMEOUT_MS: '3000', MAX_MEDIA_BYTES: String(MAX), MEDIA_ALLOW_PRIVATE_URLS: 'true' });
  api = apiOf(stack);
  ({ script } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'media-sender' }));
});
afterAll(async () => {
  await script.close();
  await stack.close();
  await new Promise((resolve) => files.close(resolve));
});

type SendCommand = Extract<Command, { name: 'send.message' }>;

/** Sends, takes the relayed command, answers it (ok, or with an error code), and resolves with both. */
async function send(apiKey: string, sessionId: string, body: unknown, error?: string) {
  const response = api('POST', '/api/messages', { key: apiKey, body });
  const frame = await Promise.race([script.next('command', (f) => f.command.sessionId === sessionId), response.then((r) => ({ refused: r }) as const)]);
  if ('refused' in frame) throw new Error(`no command was sent: ${frame.refused.status} ${JSON.stringify(frame.refused.json)}`);
  const command = frame.command as SendCommand;
  script.send(
    error
      ? { type: 'result', id: frame.id, ok: false, error: { code: error as 'SEND_FAILED', message: 'refused' } }
      : { type: 'result', id: frame.id, ok: true, data: { messageId: 'WAMEDIA1', remoteJid: '6281234567890@s.whatsapp.net', timestamp: 1_700_000_000, type: command.message.type } },
  );
  return { command, response: await response };
}

/** What the connector would read through the command's media link. */
async function bytesBehind(command: SendCommand): Promise<Buffer> {
  if (command.message.type === 'text') throw new Error('not a media message');
  const response = await fetch(command.message.media.url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

async function storedCount(sessionId: string): Promise<{ objects: number; rows: number }> {
  const env = (await stack.worker.getEnv()) as { MEDIA: R2Bucket };
  const objects = (await env.MEDIA.list({ prefix: `${sessionId}/` })).objects.length;
  const rows = Number((await stack.db.execute({ sql: 'select count(*) from media where session_id = ?', args: [sessionId] })).rows[0]?.[0]);
  return { objects, rows };
}

async function refusedWithoutCommand(apiKey: string, sessionId: string, body: unknown) {
  const answer = await api('POST', '/api/messages', { key: apiKey, body });
  // Nothing was relayed: the next command for this session is the probe's.
  const probe = send(apiKey, sessionId, { to: '6281234567890', type: 'text', text: { body: 'probe' } });
  expect((await probe).command.message).toEqual({ type: 'text', text: 'probe' });
  return answer;
}

describe('POST /api/messages with media', () => {
  it('sends an image from a URL: fetched by the Worker, stored, and offered to the connector by a signed link', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const { command, response } = await send(apiKey, sessionId, { to: '081234567890', type: 'image', image: { url: `${filesUrl}/moved`, caption: 'Toko kami' } });
    expect(response.json).toEqual({ success: true, result: { key: { remoteJid: '6281234567890@s.whatsapp.net', id: 'WAMEDIA1', fromMe: true }, type: 'image', messageTimestamp: 1_700_000_000 } });
    expect(command).toMatchObject({ name: 'send.message', sessionId, to: '6281234567890' });
    expect(command.message).toEqual({
      type: 'image',
      caption: 'Toko kami',
      media: { id: expect.stringMatching(/^med_/), url: expect.stringContaining(`${stack.url}/connector/media/${sessionId}/`), mimetype: 'image/jpeg', size: JPEG.length, sha256: sha256(JPEG) },
    });
    expect(sha256(await bytesBehind(command))).toBe(sha256(JPEG));
  });

  it('sends a document from a URL with its file name, and one from an upload by mediaId', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const fromUrl = await send(apiKey, sessionId, { to: '6281234567890', type: 'document', document: { url: `${filesUrl}/files/Laporan%20Mei.pdf`, caption: 'Laporan' } });
    expect(fromUrl.command.message).toMatchObject({ type: 'document', filename: 'Laporan Mei.pdf', caption: 'Laporan', media: { mimetype: 'application/pdf', sha256: sha256(PDF) } });

    const uploaded = await fetch(`${stack.url}/api/media`, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/pdf', 'x-kabar-filename': 'kontrak.pdf' }, body: PDF });
    const { mediaId } = (await uploaded.json()) as { mediaId: string };
    const byId = await send(apiKey, sessionId, { to: '6281234567890', type: 'document', document: { mediaId } });
    expect(byId.command.message).toMatchObject({ type: 'document', filename: 'kontrak.pdf', media: { id: mediaId, size: PDF.length, sha256: sha256(PDF) } });
    expect(sha256(await bytesBehind(byId.command))).toBe(sha256(PDF));
  });

  it('sends inline base64 as a voice note, an mp4 as a GIF and a webp sticker, flags intact', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const voice = await send(apiKey, sessionId, { to: '6281234567890', type: 'audio', audio: { data: OGG.toString('base64'), voice: true } });
    expect(voice.command.message).toMatchObject({ type: 'audio', voice: true, media: { mimetype: 'audio/ogg', sha256: sha256(OGG) } });
    expect(sha256(await bytesBehind(voice.command))).toBe(sha256(OGG));
    const gif = await send(apiKey, sessionId, { to: '6281234567890', type: 'video', video: { data: MP4.toString('base64'), gif: true, caption: 'lol' } });
    expect(gif.command.message).toMatchObject({ type: 'video', gif: true, caption: 'lol', media: { mimetype: 'video/mp4' } });
    const sticker = await send(apiKey, sessionId, { to: '6281234567890', type: 'sticker', sticker: { data: WEBP.toString('base64') } });
    expect(sticker.command.message).toMatchObject({ type: 'sticker', media: { mimetype: 'image/webp', size: WEBP.length } });
    // An mp4 sent as audio goes as audio/mp4: the same container.
    const m4a = await send(apiKey, sessionId, { to: '6281234567890', type: 'audio', audio: { data: MP4.toString('base64') } });
    expect(m4a.command.message).toMatchObject({ media: { mimetype: 'audio/mp4' } });
  });

  it('discards the copy it stored for a send the connector refused', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const { response } = await send(apiKey, sessionId, { to: '6281234567890', type: 'image', image: { data: JPEG.toString('base64') } }, 'SEND_FAILED');
    expect(response.status).toBe(502);
    expect(await storedCount(sessionId)).toEqual({ objects: 0, rows: 0 });
  });
});

describe('POST /api/messages media refusals', () => {
  it.each([
    ['a PDF sent as an image', { type: 'image', image: { data: PDF.toString('base64') } }, 400, 'image'],
    ['bytes that are not their declared mimetype', { type: 'document', document: { data: PDF.toString('base64'), mimetype: 'image/png' } }, 400, 'mimetype'],
    ['a JPEG sent as a sticker', { type: 'sticker', sticker: { data: JPEG.toString('base64') } }, 400, 'sticker'],
    ['a URL whose bytes are not an image', { type: 'image', image: { url: 'FILES/not-a-photo' } }, 400, 'mimetype'],
    ['a URL that answers 404', { type: 'image', image: { url: 'FILES/nothing-here.jpg' } }, 502, undefined],
    ['a URL nobody listens on', { type: 'image', image: { url: 'http://127.0.0.1:1/a.jpg' } }, 502, undefined],
    ['a URL announcing more than MAX_MEDIA_BYTES', { type: 'document', document: { url: 'FILES/huge' } }, 413, undefined],
    ['an unknown mediaId', { type: 'image', image: { mediaId: 'med_doesnotexist00000000' } }, 404, undefined],
    ['a caption over MAX_MESSAGE_LENGTH', { type: 'image', image: { data: JPEG.toString('base64'), caption: 'x'.repeat(4097) } }, 400, 'image.caption'],
  ])('refuses %s, stores nothing and sends nothing', async (_, message, status, field) => {
    const { sessionId, apiKey } = await createSession(api);
    // The file server's address is known only once it listens, after this table was built.
    const body = JSON.parse(JSON.stringify({ to: '6281234567890', ...message }).replace('FILES/', `${filesUrl}/`));
    const answer = await refusedWithoutCommand(apiKey, sessionId, body);
    expect(answer.status).toBe(status);
    expect(answer.json.success).toBe(false);
    if (field) expect(answer.json.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await storedCount(sessionId)).toEqual({ objects: 0, rows: 0 });
  });

  it("refuses another session's mediaId as unknown (404)", async () => {
    const owner = await createSession(api);
    const other = await createSession(api);
    const uploaded = await fetch(`${stack.url}/api/media`, { method: 'POST', headers: { 'x-api-key': owner.apiKey, 'content-type': 'image/jpeg' }, body: JPEG });
    const { mediaId } = (await uploaded.json()) as { mediaId: string };
    const answer = await refusedWithoutCommand(other.apiKey, other.sessionId, { to: '6281234567890', type: 'image', image: { mediaId } });
    expect([answer.status, answer.json.code]).toEqual([404, 'MEDIA_NOT_FOUND']);
  });
});
