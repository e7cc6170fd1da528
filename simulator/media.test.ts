import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadMediaMessage, generateWAMessage, type WAMessage } from '@whiskeysockets/baileys';
import { Agent as UndiciAgent } from 'undici';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { useSimulator } from './test-fixture.ts';
import type { Simulator } from './server.ts';
import { linkClient, type TestClient } from './test-client.ts';
import { MEDIA_TEST_CA } from './media-tls.ts';
import { uploadToken } from './media-crypto.ts';

let simulator: Simulator;
const track = useSimulator((started) => (simulator = started));

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function storedFor(contact: string) {
  return simulator.events.waitFor('message-stored', (message) => message.to === contact);
}

/** A raw HTTPS request to the media host, trusting only its test CA. */
function mediaRequest(method: string, path: string, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${simulator.mediaUrl}${path}`, { method, ca: MEDIA_TEST_CA }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('media a device sends', () => {
  test("an image with a caption sent through Baileys arrives byte-exact in the contact's inbox, also over the control API", async () => {
    const client = await linkClient(simulator, '6282300000001', track);
    const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 10, b: 10 } } }).jpeg().toBuffer();
    const uploaded = simulator.events.waitFor('media-uploaded');
    const stored = storedFor('6289800000001');
    const sent = await client.sock.sendMessage('6289800000001@s.whatsapp.net', { image, caption: 'foto kucing' });
    expect(sent!.message?.imageMessage?.url).toMatch(new RegExp(`^https://localhost:${simulator.mediaPort}/v/`));
    expect((await uploaded).type).toBe('image');
    expect(await stored).toMatchObject({ id: sent!.key.id, text: 'foto kucing', type: 'image' });
    expect(simulator.inbox('6289800000001')).toEqual([
      {
        id: sent!.key.id,
        from: '6282300000001',
        text: 'foto kucing',
        timestamp: expect.any(Number),
        type: 'image',
        kind: 'image',
        content: expect.objectContaining({ imageMessage: expect.objectContaining({ caption: 'foto kucing' }) }),
        media: { mimetype: 'image/jpeg', caption: 'foto kucing', size: image.length, sha256: sha256(image) },
      },
    ]);
    // The control API shows the same.
    const inbox = await fetch(`${simulator.url}/control/inbox/6289800000001`);
    expect(await inbox.json()).toEqual({ messages: simulator.inbox('6289800000001') });
  });

  test('a document keeps its file name and mimetype, and arrives byte-exact', async () => {
    const client = await linkClient(simulator, '6282300000002', track);
    const document = randomBytes(300_001);
    const stored = storedFor('6289800000002');
    await client.sock.sendMessage('6289800000002@s.whatsapp.net', {
      document,
      mimetype: 'application/pdf',
      fileName: 'invoice-42.pdf',
      caption: 'the invoice',
    });
    expect((await stored).media).toEqual({
      mimetype: 'application/pdf',
      filename: 'invoice-42.pdf',
      caption: 'the invoice',
      size: document.length,
      sha256: sha256(document),
    });
  });

  test('video, GIF, audio, voice note and sticker each arrive byte-exact with their flags', async () => {
    const client = await linkClient(simulator, '6282300000003', track);
    const contact = '6289800000003';
    const jid = `${contact}@s.whatsapp.net`;
    const cases = [
      { type: 'video', bytes: randomBytes(40_000), content: (bytes: Buffer) => ({ video: bytes, caption: 'clip' }), media: { mimetype: 'video/mp4', caption: 'clip', gif: false } },
      { type: 'video', bytes: randomBytes(20_000), content: (bytes: Buffer) => ({ video: bytes, gifPlayback: true }), media: { mimetype: 'video/mp4', gif: true } },
      { type: 'audio', bytes: randomBytes(9_000), content: (bytes: Buffer) => ({ audio: bytes, mimetype: 'audio/mpeg', seconds: 1 }), media: { mimetype: 'audio/mpeg', voice: false } },
      { type: 'audio', bytes: randomBytes(7_000), content: (bytes: Buffer) => ({ audio: bytes, ptt: true, seconds: 1 }), media: { mimetype: 'audio/ogg; codecs=opus', voice: true } },
      { type: 'sticker', bytes: randomBytes(5_000), content: (bytes: Buffer) => ({ sticker: bytes }), media: { mimetype: 'image/webp' } },
    ] as const;
    for (const { type, bytes, content, media } of cases) {
      const stored = storedFor(contact);
      await client.sock.sendMessage(jid, content(bytes) as Parameters<typeof client.sock.sendMessage>[1]);
      const message = await stored;
      expect(message.type).toBe(type);
      expect(message.media).toEqual({ ...media, size: bytes.length, sha256: sha256(bytes) });
    }
  });
});

describe('large media', () => {
  test('a 100 MiB document, encrypted, uploads and streams to disk: the simulator never holds it in memory', { timeout: 120_000 }, async () => {
    const client = await linkClient(simulator, '6282300000006', track);
    const { auth } = await client.sock.refreshMediaConn(false);
    // 100 MiB encrypted: AES-CBC pads a whole block, and the MAC adds 10 bytes. Over the 100 MiB media_conn
    // announces, which WhatsApp does not enforce (documents go up to 2 GB).
    const size = 100 * 1024 * 1024 + 16 + 10;
    // The same 1 MiB block, so the client side holds 1 MiB; its hash is computed up front, block by block.
    const block = randomBytes(1024 * 1024);
    const piece = (sent: number) => (size - sent < block.length ? block.subarray(0, size - sent) : block);
    const hash = createHash('sha256');
    for (let sent = 0; sent < size; sent += block.length) hash.update(piece(sent));
    const token = uploadToken(hash.digest());
    const uploaded = simulator.events.waitFor('media-uploaded', (event) => event.size === size, 120_000);
    const before = process.memoryUsage();
    let peak = 0;
    const sample = () => {
      // Buffers live outside the JS heap, in arrayBuffers; rss moves with everything else the process does.
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before.arrayBuffers);
    };
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${simulator.mediaUrl}/mms/document/${token}?auth=${encodeURIComponent(auth)}&token=${token}`, { method: 'POST', ca: MEDIA_TEST_CA, headers: { 'content-length': size } }, (res) => {
        sample();
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      let written = 0;
      const pump = () => {
        while (written < size) {
          sample();
          const chunk = piece(written);
          written += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(response.status).toBe(200);
    const { direct_path } = JSON.parse(response.body) as { direct_path: string };
    expect(JSON.parse(response.body).url).toContain(direct_path);
    expect(await uploaded).toMatchObject({ type: 'document', directPath: direct_path });
    // Buffering the body would hold all 100 MiB at once; streaming keeps it to socket and file buffers, plus
    // chunks already written that the garbage collector has not freed yet (up to ~65 MiB seen on a loaded
    // machine, 23 MiB idle), so the bound sits between the two.
    expect(peak).toBeLessThan(90 * 1024 * 1024);
  });
});

describe('uploads the media host refuses or the contact rejects', () => {
  test('an upload whose token is not the SHA-256 of its body, or with the wrong auth, is refused', async () => {
    const body = randomBytes(1_000);
    const other = uploadToken(createHash('sha256').update('something else').digest());
    const refusal = simulator.events.waitFor('media-upload-refused');
    const wrongToken = await mediaRequest('POST', `/mms/image/${other}?auth=whatever&token=${other}`, body);
    expect(wrongToken.status).toBe(401);
    expect((await refusal).reason).toMatch(/auth/);
    // With the right auth (from media_conn, asked through a linked device), the token is what counts.
    const client = await linkClient(simulator, '6282300000004', track);
    const { auth } = await client.sock.refreshMediaConn(false);
    const tokenRefusal = simulator.events.waitFor('media-upload-refused');
    const refused = await mediaRequest('POST', `/mms/image/${other}?auth=${encodeURIComponent(auth)}&token=${other}`, body);
    expect(refused.status).toBe(400);
    expect((await tokenRefusal).reason).toMatch(/SHA-256/);
    const right = uploadToken(createHash('sha256').update(body).digest());
    const accepted = await mediaRequest('POST', `/mms/image/${right}?auth=${encodeURIComponent(auth)}&token=${right}`, body);
    expect(accepted.status).toBe(200);
    const { url, direct_path } = JSON.parse(accepted.body) as { url: string; direct_path: string };
    expect(url).toBe(`${simulator.mediaUrl}${direct_path}`);
    const fetched = await mediaRequest('GET', direct_path);
    expect(fetched.status).toBe(200);
    expect(await mediaRequest('GET', '/v/t62.7118-24/00000000000000000000000000000000.enc')).toMatchObject({ status: 404 });
  });

  test("media whose MAC does not match its key is recorded in the contact's inbox as an error, not as bytes", async () => {
    const client = await linkClient(simulator, '6282300000005', track);
    const jid = '6289800000005@s.whatsapp.net';
    let tamperedHash: Buffer | undefined;
    // Baileys' own upload, but of the file with its last MAC byte flipped (a consistent token, so the host takes it).
    const upload = async (filePath: string, options: { mediaType: string; fileEncSha256B64: string; timeoutMs?: number }) => {
      const file = await readFile(filePath);
      file[file.length - 1]! ^= 0xff;
      tamperedHash = createHash('sha256').update(file).digest();
      const tampered = join(tmpdir(), `tampered-${randomBytes(6).toString('hex')}`);
      await writeFile(tampered, file);
      try {
        return await client.sock.waUploadToServer(tampered, { ...options, fileEncSha256B64: tamperedHash.toString('base64') } as Parameters<typeof client.sock.waUploadToServer>[1]);
      } finally {
        await rm(tampered, { force: true });
      }
    };
    const message = await generateWAMessage(jid, { document: randomBytes(2_000), mimetype: 'application/pdf', fileName: 'x.pdf' }, {
      userJid: client.sock.user!.id,
      upload: upload as Parameters<typeof generateWAMessage>[2]['upload'],
    });
    // The message announces the tampered file's hash, so only the MAC gives it away.
    message.message!.documentMessage!.fileEncSha256 = tamperedHash!;
    const stored = storedFor('6289800000005');
    await client.sock.relayMessage(jid, message.message!, { messageId: message.key.id! });
    expect((await stored).media).toEqual({ mimetype: 'application/pdf', filename: 'x.pdf', error: 'the MAC does not match the mediaKey' });
  });
});

/** POST to the control API (plain HTTP). */
async function control(path: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${simulator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

/** The next message a contact sent that reaches this device. */
function nextFromContact(client: TestClient): Promise<WAMessage> {
  return client.next('messages.upsert', ({ messages }) => messages.some((m) => !m.key.fromMe)).then(({ messages }) => messages.find((m) => !m.key.fromMe)!);
}

/** Baileys' download, trusting the media host's CA only; `host` as the connector would pass its media host. */
function download(message: WAMessage): Promise<Buffer> {
  const dispatcher = new UndiciAgent({ connect: { ca: MEDIA_TEST_CA } });
  return downloadMediaMessage(message, 'buffer', { host: new URL(simulator.mediaUrl).host, options: { dispatcher } as RequestInit });
}

describe('media a contact sends', () => {
  test('an image, a captioned document and a voice note a contact sends download through Baileys to the same bytes', async () => {
    const client = await linkClient(simulator, '6282300000011', track);
    const contact = '6289800000011';
    const image = randomBytes(70_000);
    const imageArrived = nextFromContact(client);
    const sent = await control('/control/messages', { from: contact, to: '6282300000011', media: { type: 'image', data: image.toString('base64'), caption: 'dari kontak' } });
    expect(sent.status).toBe(200);
    const imageMessage = await imageArrived;
    expect(imageMessage.key.id).toBe(sent.json.id);
    expect(imageMessage.message?.imageMessage).toMatchObject({ caption: 'dari kontak', mimetype: 'image/jpeg' });
    expect(imageMessage.message?.imageMessage?.url).toMatch(new RegExp(`^https://localhost:${simulator.mediaPort}/v/`));
    expect(sha256(await download(imageMessage))).toBe(sha256(image));

    const document = randomBytes(123_457);
    const documentArrived = nextFromContact(client);
    await simulator.contactSendMedia(contact, '6282300000011', { type: 'document', data: document, filename: 'laporan.xlsx', mimetype: 'application/vnd.ms-excel', caption: 'laporan bulan ini' });
    const documentMessage = await documentArrived;
    // A phone wraps a captioned document in documentWithCaptionMessage.
    expect(documentMessage.message?.documentWithCaptionMessage?.message?.documentMessage).toMatchObject({ fileName: 'laporan.xlsx', caption: 'laporan bulan ini', mimetype: 'application/vnd.ms-excel' });
    expect(sha256(await download(documentMessage))).toBe(sha256(document));

    const voice = randomBytes(4_000);
    const voiceArrived = nextFromContact(client);
    await simulator.contactSendMedia(contact, '6282300000011', { type: 'audio', data: voice, voice: true });
    const voiceMessage = await voiceArrived;
    expect(voiceMessage.message?.audioMessage).toMatchObject({ ptt: true, mimetype: 'audio/ogg; codecs=opus' });
    expect(sha256(await download(voiceMessage))).toBe(sha256(voice));
  });

  test('the media host serves byte ranges, so Baileys can download part of a file', async () => {
    const client = await linkClient(simulator, '6282300000013', track);
    const bytes = randomBytes(10_000);
    const arrived = nextFromContact(client);
    await simulator.contactSendMedia('6289800000013', '6282300000013', { type: 'document', data: bytes, filename: 'big.bin' });
    const message = await arrived;
    const fetched = simulator.events.waitFor('media-fetched');
    const part = await downloadMediaMessage(message, 'buffer', {
      startByte: 1_000,
      endByte: 2_000,
      options: { dispatcher: new UndiciAgent({ connect: { ca: MEDIA_TEST_CA } }) } as RequestInit,
    });
    expect((await fetched).status).toBe(206);
    expect(part.equals(bytes.subarray(1_000, 2_000))).toBe(true);
  });

  test('media that does not fit its type, or comes with text too, is refused with a 400 and nothing is sent', async () => {
    await linkClient(simulator, '6282300000012', track);
    const data = randomBytes(100).toString('base64');
    const sentIds: string[] = [];
    const stop = simulator.events.on('contact-message-sent', (event) => event.to === '6282300000012' && sentIds.push(event.id));
    for (const body of [
      { from: '6289800000012', to: '6282300000012', media: { type: 'image', data, voice: true } },
      { from: '6289800000012', to: '6282300000012', media: { type: 'audio', data, caption: 'no' } },
      { from: '6289800000012', to: '6282300000012', text: 'both', media: { type: 'image', data } },
      { from: '6289800000012', to: '6282300000012', media: { type: 'gif', data } },
      { from: '6289800000012', to: '6282300000012', media: { type: 'image', data: 'not base64!' } },
    ]) {
      const refused = await control('/control/messages', body);
      expect(refused.status).toBe(400);
      expect(refused.json.error).toEqual(expect.any(String));
    }
    // A text after them is the first message the contact sends.
    const text = await control('/control/messages', { from: '6289800000012', to: '6282300000012', text: 'only this' });
    stop();
    expect(sentIds).toEqual([text.json.id]);
  });
});

describe('expired media', () => {
  test("an expired blob answers 410, and Baileys' re-upload request gets the phone to upload it again under a new path", async () => {
    const client = await linkClient(simulator, '6282300000021', track);
    const bytes = randomBytes(50_000);
    const arrived = nextFromContact(client);
    const { id } = await simulator.contactSendMedia('6289800000021', '6282300000021', { type: 'video', data: bytes, caption: 'lama' });
    const message = await arrived;
    const oldPath = message.message!.videoMessage!.directPath!;

    const expired = await control('/control/media/expire', { messageId: id });
    expect(expired).toEqual({ status: 200, json: { directPath: oldPath } });
    // Baileys' own re-upload on a 404/410 never fires: it looks for error.status, its Boom has output.statusCode.
    let reuploadAsked = false;
    const dispatcher = new UndiciAgent({ connect: { ca: MEDIA_TEST_CA } });
    const failure = await downloadMediaMessage(message, 'buffer', { options: { dispatcher } as RequestInit }, {
      logger: client.sock.logger,
      reuploadRequest: async (m) => {
        reuploadAsked = true;
        return m;
      },
    }).then(() => undefined, (error: { output?: { statusCode?: number } }) => error);
    expect(failure?.output?.statusCode).toBe(410);
    expect(reuploadAsked).toBe(false);

    const answered = simulator.events.waitFor('media-retry-answered', (event) => event.id === id);
    await client.sock.updateMediaMessage(message);
    expect(await answered).toMatchObject({ result: 'SUCCESS', phone: '6282300000021' });
    const newPath = message.message!.videoMessage!.directPath!;
    expect(newPath).not.toBe(oldPath);
    // Baileys builds the new url on its media host, WhatsApp's own until this socket fetched media_conn:
    // a download must be given the host (download() does), never left to that url.
    expect(message.message!.videoMessage!.url).toBe(`https://mmg.whatsapp.net${newPath}`);
    expect(sha256(await download(message))).toBe(sha256(bytes));
  });

  test('a re-upload request for media the phone does not have is answered NOT_FOUND, which Baileys reports as 404', async () => {
    const client = await linkClient(simulator, '6282300000022', track);
    const stored = storedFor('6289800000022');
    const sent = await client.sock.sendMessage('6289800000022@s.whatsapp.net', { document: randomBytes(1_000), mimetype: 'application/pdf', fileName: 'a.pdf' });
    await stored;
    const failure = await client.sock.updateMediaMessage(sent!).then(() => undefined, (error: { output?: { statusCode?: number } }) => error);
    expect(failure?.output?.statusCode).toBe(404);
    expect((await control('/control/media/expire', { messageId: 'NOSUCHMESSAGE' })).status).toBe(404);
    expect((await control('/control/media/expire', { directPath: '/v/t62.7118-24/00000000000000000000000000000000.enc' })).status).toBe(404);
  });
});
