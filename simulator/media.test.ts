import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWAMessage } from '@whiskeysockets/baileys';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { useSimulator } from './test-fixture.ts';
import type { Simulator } from './server.ts';
import { linkClient } from './test-client.ts';
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
  test("an image with a caption sent through Baileys arrives byte-exact in the contact's inbox", async () => {
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
        media: { mimetype: 'image/jpeg', caption: 'foto kucing', size: image.length, sha256: sha256(image) },
      },
    ]);
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

describe('uploads the media host refuses or the contact rejects', () => {
  test('an upload whose token is not the SHA-256 of its body, or with the wrong auth, is refused and stores nothing', async () => {
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
