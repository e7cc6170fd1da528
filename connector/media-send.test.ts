// Media sends through the whole connector (hub link, commands, real Baileys) against the WhatsApp simulator:
// where the bytes may come from, and what happens when they are not the bytes announced.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { startTestMediaEndpoint, type TestMediaEndpoint } from './media/test-media-endpoint.ts';
import sharp from 'sharp';
import type { OutgoingMedia, OutgoingMessage } from '../shared/protocol.ts';
import { SECRET, WAIT_MS, hubEvent, pair, sendMessage, sendText, useConnectorStack, type Stack } from './test-stack.ts';

let simulator: Simulator;
let stack: Stack;
let elsewhere: TestMediaEndpoint;
const phone = '6281100000301';
const contact = '6281900000301';

useConnectorStack('kabar-media-send-', (world) => ({ simulator, stack } = world), { store: 'media.db' });

beforeAll(async () => {
  elsewhere = await startTestMediaEndpoint(SECRET);
  await pair(stack, simulator, 'media', phone);
});

afterAll(async () => {
  await elsewhere?.close();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Puts bytes where the Worker would have them and returns the media object of a send.message. */
async function stored(id: string, bytes: Buffer, mimetype: string): Promise<OutgoingMedia> {
  stack.media.serve(id, bytes);
  return { id, url: await stack.media.link('GET', 'media', id), mimetype, size: bytes.length, sha256: sha256(bytes) };
}

describe('sending media', () => {
  it("delivers each kind byte-exact to the contact's inbox, with caption, file name and voice flag", async () => {
    const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 200, b: 10 } } }).jpeg().toBuffer();
    const sticker = await sharp({ create: { width: 96, height: 96, channels: 4, background: { r: 0, g: 0, b: 200, alpha: 0.5 } } }).webp().toBuffer();
    const cases: { message: OutgoingMessage; bytes: Buffer; inbox: Record<string, unknown> }[] = [
      {
        message: { type: 'image', media: await stored('media-image-00000001', image, 'image/jpeg'), caption: 'foto' },
        bytes: image,
        inbox: { mimetype: 'image/jpeg', caption: 'foto' },
      },
      {
        message: { type: 'document', media: await stored('media-doc-000000001', randomBytes(70_000), 'application/pdf'), caption: 'laporan', filename: 'laporan.pdf' },
        bytes: Buffer.alloc(0),
        inbox: { mimetype: 'application/pdf', caption: 'laporan', filename: 'laporan.pdf' },
      },
      {
        message: { type: 'audio', media: await stored('media-voice-0000001', randomBytes(5_000), 'audio/ogg; codecs=opus'), voice: true },
        bytes: Buffer.alloc(0),
        inbox: { mimetype: 'audio/ogg; codecs=opus', voice: true },
      },
      {
        message: { type: 'video', media: await stored('media-video-0000001', randomBytes(40_000), 'video/mp4'), caption: 'klip', gif: true },
        bytes: Buffer.alloc(0),
        inbox: { mimetype: 'video/mp4', caption: 'klip', gif: true },
      },
      { message: { type: 'sticker', media: await stored('media-sticker-00001', sticker, 'image/webp') }, bytes: sticker, inbox: { mimetype: 'image/webp' } },
    ];
    for (const { message } of cases) {
      if (!('media' in message)) continue;
      const arrived = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.type !== undefined && m.media?.sha256 === message.media.sha256, WAIT_MS);
      const result = await sendMessage(stack.hub, 'media', contact, message);
      expect(result, message.type).toMatchObject({ ok: true, data: { type: message.type, remoteJid: `${contact}@s.whatsapp.net` } });
      const messageId = result.ok ? result.data.messageId : '';
      await arrived;
      const inbox = simulator.inbox(contact).find((m) => m.id === messageId);
      const expected = cases.find((c) => c.message === message)!.inbox;
      expect(inbox?.media, message.type).toMatchObject({ ...expected, size: message.media.size, sha256: message.media.sha256 });
      expect(inbox?.media?.error).toBeUndefined();
      const sent = await hubEvent(stack.hub, 'media', 'message.sent', (e) => e.messageId === messageId);
      expect(sent).toMatchObject({ type: message.type, text: message.caption ?? '', media: { id: message.media.id, size: message.media.size, sha256: message.media.sha256 } });
      expect(JSON.stringify(sent)).not.toContain('signature=');
    }
  });

  it('answers MEDIA_UNAVAILABLE and sends nothing when the bytes are not the ones announced', async () => {
    const bytes = randomBytes(20_000);
    const media = await stored('media-tampered-0001', bytes, 'application/pdf');
    const before = simulator.inbox(contact).length;
    const result = await sendMessage(stack.hub, 'media', contact, { type: 'document', media: { ...media, sha256: sha256(randomBytes(8)) }, filename: 'x.pdf' });
    expect(result).toMatchObject({ ok: false, error: { code: 'MEDIA_UNAVAILABLE', message: expect.stringMatching(/SHA-256/) } });
    const short = await sendMessage(stack.hub, 'media', contact, { type: 'document', media: { ...media, size: bytes.length + 10 }, filename: 'x.pdf' });
    expect(short).toMatchObject({ ok: false, error: { code: 'MEDIA_UNAVAILABLE' } });
    const missing = await sendMessage(stack.hub, 'media', contact, { type: 'document', media: { ...media, url: await stack.media.link('GET', 'media', 'media-never-stored-01') } });
    expect(missing).toMatchObject({ ok: false, error: { code: 'MEDIA_UNAVAILABLE', message: expect.stringMatching(/404/) } });
    // Checked by waiting for a text sent after them: the contact's inbox is ordered. The waiter is set before
    // the send, since the simulator stores the text before the send's result comes back.
    const markerStored = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.text === 'after the refused media', WAIT_MS);
    const marker = await sendText(stack.hub, 'media', contact, 'after the refused media');
    expect(marker.ok).toBe(true);
    await markerStored;
    expect(simulator.inbox(contact).slice(before).map((m) => m.text)).toEqual(['after the refused media']);
  });

  it("answers MEDIA_UNAVAILABLE for a media link that is not on the connector's Worker, and never fetches it", async () => {
    const bytes = randomBytes(1_000);
    elsewhere.serve('media-elsewhere-0000001', bytes);
    const url = await elsewhere.link('GET', 'media', 'media-elsewhere-0000001');
    const workerRequests = stack.media.requests.length;
    const result = await sendMessage(stack.hub, 'media', contact, {
      type: 'image',
      media: { id: 'media-elsewhere-0000001', url, mimetype: 'image/jpeg', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'MEDIA_UNAVAILABLE' } });
    expect(elsewhere.requests).toEqual([]);
    expect(stack.media.requests.length).toBe(workerRequests);
  });
});
