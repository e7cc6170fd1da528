// The media API and the connector's media endpoint through the real Worker in workerd with a real local R2:
// bytes in and out unchanged, the SHA-256 computed on the way, refusals that leave nothing stored, and each
// credential opening only what it names.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signMediaLink } from '../../shared/media-link.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

const MAX = 12 * 1024 * 1024;
let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack({ MAX_MEDIA_BYTES: String(MAX) });
  api = apiOf(stack);
});
afterAll(() => stack.close());

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), Buffer.from('JFIF\0'), randomBytes(2000)]);
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(3000)]);
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), randomBytes(500)]);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function upload(key: string, body: BodyInit, headers: Record<string, string> = {}) {
  return fetch(`${stack.url}/api/media`, { method: 'POST', headers: { 'x-api-key': key, ...headers }, body, duplex: 'half' } as RequestInit);
}

/** A body of unknown length (chunked): the Worker cannot refuse it from a header. */
function chunked(bytes: Uint8Array, chunk = 256 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + chunk));
      offset += chunk;
    },
  });
}

async function storedObjects(sessionId: string): Promise<string[]> {
  const env = (await stack.worker.getEnv()) as { MEDIA: R2Bucket };
  return (await env.MEDIA.list({ prefix: `${sessionId}/` })).objects.map((o) => o.key);
}

async function mediaRows(sessionId: string): Promise<number> {
  return Number((await stack.db.execute({ sql: 'select count(*) from media where session_id = ?', args: [sessionId] })).rows[0]?.[0]);
}

describe('POST /api/media and GET /api/media/{mediaId}', () => {
  it('stores a raw body and gives the same bytes back, with their type, size and SHA-256', async () => {
    const { apiKey, sessionId } = await createSession(api);
    const response = await upload(apiKey, JPEG, { 'content-type': 'image/jpeg', 'x-kabar-filename': encodeURIComponent('foto toko 🛒.jpg') });
    expect(response.status).toBe(201);
    const json = (await response.json()) as Record<string, unknown>;
    expect(json).toEqual({ success: true, mediaId: expect.stringMatching(/^med_[A-Za-z0-9_-]{24}$/), mimetype: 'image/jpeg', size: JPEG.length, sha256: sha256(JPEG) });
    const read = await fetch(`${stack.url}/api/media/${json.mediaId}`, { headers: { 'x-api-key': apiKey } });
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toBe('image/jpeg');
    expect(read.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''${encodeURIComponent('foto toko 🛒.jpg')}`);
    expect(sha256(new Uint8Array(await read.arrayBuffer()))).toBe(sha256(JPEG));
    const row = await stack.db.execute({ sql: 'select session_id, direction, size, sha256, filename from media where id = ?', args: [json.mediaId as string] });
    expect({ ...row.rows[0] }).toEqual({ session_id: sessionId, direction: 'out', size: JPEG.length, sha256: sha256(JPEG), filename: 'foto toko 🛒.jpg' });
  });

  it('takes a multipart `file` field, and sniffs the type of application/octet-stream', async () => {
    const { apiKey } = await createSession(api);
    const form = new FormData();
    form.set('file', new Blob([PDF], { type: 'application/pdf' }), 'invoice-42.pdf');
    const multipart = await upload(apiKey, form);
    expect(multipart.status).toBe(201);
    expect(await multipart.json()).toMatchObject({ mimetype: 'application/pdf', size: PDF.length, sha256: sha256(PDF) });
    const raw = await upload(apiKey, PNG, { 'content-type': 'application/octet-stream' });
    expect(await raw.json()).toMatchObject({ mimetype: 'image/png', sha256: sha256(PNG) });
  });

  it('streams a file larger than one part (multipart upload to R2) of unknown length, byte-exact', async () => {
    const { apiKey } = await createSession(api);
    const big = Buffer.concat([PDF, randomBytes(10 * 1024 * 1024)]);
    const response = await upload(apiKey, chunked(big), { 'content-type': 'application/pdf' });
    expect(response.status).toBe(201);
    const json = (await response.json()) as { mediaId: string; size: number; sha256: string };
    expect([json.size, json.sha256]).toEqual([big.length, sha256(big)]);
    const read = await fetch(`${stack.url}/api/media/${json.mediaId}`, { headers: { 'x-api-key': apiKey } });
    expect(read.headers.get('content-length')).toBe(String(big.length));
    expect(sha256(new Uint8Array(await read.arrayBuffer()))).toBe(sha256(big));
  });

  it('refuses a file over MAX_MEDIA_BYTES by its Content-Length with 413 before reading it', async () => {
    const { apiKey, sessionId } = await createSession(api);
    // Headers first, as a client expecting 100-continue does: the answer comes before any byte is sent.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${stack.url}/api/media`, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/pdf', 'content-length': String(MAX + 1) } });
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => (request.destroy(), resolve({ status: response.statusCode ?? 0, body })));
      });
      request.on('error', reject);
      request.flushHeaders();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).code).toBe('PAYLOAD_TOO_LARGE');
    expect(await storedObjects(sessionId)).toEqual([]);
  });

  it('refuses a file of unknown length with 413 once it passes MAX_MEDIA_BYTES, aborting what was stored', async () => {
    const { apiKey, sessionId } = await createSession(api);
    const over = Buffer.concat([PDF, randomBytes(MAX)]);
    const streamed = await upload(apiKey, chunked(over), { 'content-type': 'application/pdf' });
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
    expect(await storedObjects(sessionId)).toEqual([]);
    expect(await mediaRows(sessionId)).toBe(0);
  });

  it.each([
    ['bytes that are not the declared type', PDF, { 'content-type': 'image/png' }, 400],
    ['an empty body', Buffer.alloc(0), { 'content-type': 'image/jpeg' }, 400],
    ['a file name with a path', JPEG, { 'content-type': 'image/jpeg', 'x-kabar-filename': '..%2Fetc%2Fpasswd' }, 400],
    ['a multipart form without `file`', null, {}, 400],
    ['a multipart form over the multipart cap', 'big-form', {}, 413],
  ] as const)('refuses %s and stores nothing', async (_, bytes, headers, status) => {
    const { apiKey, sessionId } = await createSession(api);
    let body: BodyInit;
    if (bytes === null) {
      const form = new FormData();
      form.set('other', 'x');
      body = form;
    } else if (bytes === 'big-form') {
      const form = new FormData();
      form.set('file', new Blob([PDF, randomBytes(21 * 1024 * 1024)], { type: 'application/pdf' }), 'big.pdf');
      body = form;
    } else body = bytes;
    const response = await upload(apiKey, body, headers);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { success: boolean }).success).toBe(false);
    expect(await storedObjects(sessionId)).toEqual([]);
    expect(await mediaRows(sessionId)).toBe(0);
  });

  it("does not show one session's media to another session's key (404), nor to no key (401)", async () => {
    const owner = await createSession(api);
    const other = await createSession(api);
    const { mediaId } = (await (await upload(owner.apiKey, JPEG, { 'content-type': 'image/jpeg' })).json()) as { mediaId: string };
    const foreign = await api('GET', `/api/media/${mediaId}`, { key: other.apiKey });
    expect([foreign.status, foreign.json.code]).toEqual([404, 'MEDIA_NOT_FOUND']);
    expect((await api('GET', `/api/media/${mediaId}`)).status).toBe(401);
    expect((await api('GET', '/api/media/med_doesnotexist0000000000', { key: owner.apiKey })).status).toBe(404);
    expect((await api('GET', '/api/media/..%2F..%2Fx', { key: owner.apiKey })).status).toBe(400);
    expect((await upload(`kbr_${'A'.repeat(43)}`, JPEG, { 'content-type': 'image/jpeg' })).status).toBe(401);
  });
});

describe('/connector/media/{sessionId}/{mediaId}', () => {
  const link = (method: 'GET' | 'PUT', sessionId: string, mediaId: string, expires = Date.now() + 60_000, secret = stack.connectorSecret) =>
    signMediaLink(secret, stack.url, method, sessionId, mediaId, expires);

  it('serves a stored file to a signed GET link, and to nothing else', async () => {
    const { apiKey, sessionId } = await createSession(api);
    const { mediaId } = (await (await upload(apiKey, JPEG, { 'content-type': 'image/jpeg' })).json()) as { mediaId: string };
    const good = await fetch(await link('GET', sessionId, mediaId));
    expect(good.status).toBe(200);
    expect(sha256(new Uint8Array(await good.arrayBuffer()))).toBe(sha256(JPEG));
    const refused = [
      await link('GET', sessionId, mediaId, Date.now() - 1000),
      await link('GET', sessionId, mediaId, Date.now() + 60_000, 'another-secret-entirely'),
      (await link('GET', sessionId, mediaId)).replace(/signature=[0-9a-f]/, 'signature=x'),
      `${stack.url}/connector/media/${sessionId}/${mediaId}`,
    ];
    for (const url of refused) expect((await fetch(url, { headers: { 'x-api-key': apiKey } })).status).toBe(401);
    // A link for one file does not open another session's path.
    const other = await createSession(api);
    expect((await fetch((await link('GET', sessionId, mediaId)).replace(`/${sessionId}/`, `/${other.sessionId}/`))).status).toBe(401);
  });

  it('stores what the connector PUTs, for the session key to read, and refuses a GET link used to PUT', async () => {
    const { apiKey, sessionId } = await createSession(api);
    const mediaId = 'med_received00000000000001';
    const asGet = await fetch(await link('GET', sessionId, mediaId), { method: 'PUT', headers: { 'content-type': 'application/pdf' }, body: PDF });
    expect(asGet.status).toBe(401);
    const put = await fetch(await link('PUT', sessionId, mediaId), {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf', 'x-kabar-filename': encodeURIComponent('laporan.pdf') },
      body: chunked(PDF, 1000),
      duplex: 'half',
    } as RequestInit);
    expect(put.status).toBe(201);
    expect(await put.json()).toEqual({ success: true, mediaId, mimetype: 'application/pdf', size: PDF.length, sha256: sha256(PDF), filename: 'laporan.pdf' });
    const env = (await stack.worker.getEnv()) as { MEDIA: R2Bucket };
    const head = await env.MEDIA.head(`${sessionId}/${mediaId}`);
    expect(head?.customMetadata).toMatchObject({ sessionId, mimetype: 'application/pdf', filename: 'laporan.pdf', createdAt: expect.stringMatching(/^\d+$/) });
    const read = await fetch(`${stack.url}/api/media/${mediaId}`, { headers: { 'x-api-key': apiKey } });
    expect(sha256(new Uint8Array(await read.arrayBuffer()))).toBe(sha256(PDF));
    expect(Number((await stack.db.execute({ sql: "select count(*) from media where id = ? and direction = 'in'", args: [mediaId] })).rows[0]?.[0])).toBe(1);
  });
});

describe('deleting a session', () => {
  it("deletes its media files and rows, keeps other sessions', and stores nothing the connector PUTs for it afterwards", async () => {
    const gone = await createSession(api);
    const kept = await createSession(api);
    await upload(gone.apiKey, JPEG, { 'content-type': 'image/jpeg' });
    await upload(gone.apiKey, PDF, { 'content-type': 'application/pdf' });
    await upload(kept.apiKey, PNG, { 'content-type': 'image/png' });
    expect(await storedObjects(gone.sessionId)).toHaveLength(2);

    expect(await api('DELETE', `/api/sessions/${gone.sessionId}`, { admin: true })).toMatchObject({ status: 200, json: { success: true } });
    expect(await storedObjects(gone.sessionId)).toEqual([]);
    expect(await mediaRows(gone.sessionId)).toBe(0);
    expect(await storedObjects(kept.sessionId)).toHaveLength(1);
    expect(await mediaRows(kept.sessionId)).toBe(1);

    // A connector that had not yet heard of the removal: its signed link is valid, the session is not.
    const late = await fetch(await signMediaLink(stack.connectorSecret, stack.url, 'PUT', gone.sessionId, 'med_received00000000000late', Date.now() + 60_000), {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf' },
      body: PDF,
    });
    expect(late.status).toBe(404);
    expect(((await late.json()) as { code: string }).code).toBe('SESSION_NOT_FOUND');
    expect(await storedObjects(gone.sessionId)).toEqual([]);
    expect(await mediaRows(gone.sessionId)).toBe(0);
  });
});
