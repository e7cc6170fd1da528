// Media contacts send, through the whole connector (real Baileys, receipt hook, media jobs, outbox) against
// the WhatsApp simulator, with the test hub's server answering the Worker's media links: every kind reaches
// the hub as message.received naming bytes stored byte-exact, and expired media is recovered by re-upload.
import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import type { ContactMedia } from '../simulator/media-send.ts';
import { WAIT_MS, hubEvent, pair, useConnectorStack, type Stack } from './test-stack.ts';

let simulator: Simulator;
let stack: Stack;
const phone = '6281100000501';
const contact = '6281900000501';

useConnectorStack('kabar-media-receive-', (world) => ({ simulator, stack } = world), { store: 'receive.db', overrides: { mediaRetryDelay: () => 100 } });

beforeAll(async () => {
  await pair(stack, simulator, 'inbox', phone);
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('receiving media', () => {
  it('reports each kind once its bytes are stored byte-exact at the Worker, with caption, file name and voice flag', async () => {
    const cases: { media: ContactMedia; expected: Record<string, unknown> }[] = [
      { media: { type: 'image', data: randomBytes(20_000), caption: 'lihat ini' }, expected: { mimetype: 'image/jpeg', caption: 'lihat ini' } },
      { media: { type: 'document', data: randomBytes(90_000), mimetype: 'application/pdf', filename: 'kontrak.pdf', caption: 'tolong cek' }, expected: { mimetype: 'application/pdf', filename: 'kontrak.pdf', caption: 'tolong cek' } },
      { media: { type: 'audio', data: randomBytes(6_000), voice: true }, expected: { mimetype: 'audio/ogg; codecs=opus', voice: true } },
      { media: { type: 'video', data: randomBytes(30_000), gif: true }, expected: { mimetype: 'video/mp4', gif: true } },
      { media: { type: 'sticker', data: randomBytes(4_000) }, expected: { mimetype: 'image/webp' } },
    ];
    for (const { media, expected } of cases) {
      const { id } = await simulator.contactSendMedia(contact, phone, media);
      const event = await hubEvent(stack.hub, 'inbox', 'message.received', (e) => e.messageId === id);
      expect(event, media.type).toMatchObject({ from: contact, type: media.type, text: media.caption ?? '', media: { ...expected, size: media.data.length, sha256: sha256(media.data) } });
      expect(event.media?.error).toBeUndefined();
      expect(stack.media.stored.get(event.media!.id!), media.type).toMatchObject({ size: media.data.length, sha256: sha256(media.data) });
    }
  });

  it('asks the phone to upload expired media again and then delivers it', async () => {
    const data = randomBytes(50_000);
    stack.media.refusePuts(true);
    const refused = stack.media.nextRefusedPut();
    const { id } = await simulator.contactSendMedia(contact, phone, { type: 'document', data, mimetype: 'application/pdf', filename: 'lama.pdf' });
    await refused;
    // The first attempt fetched the blob but could not store it; meanwhile the CDN lets it expire.
    await simulator.expireMedia({ messageId: id });
    const reuploaded = simulator.events.waitFor('media-retry-answered', (r) => r.id === id, WAIT_MS);
    stack.media.refusePuts(false);
    await reuploaded;
    const event = await hubEvent(stack.hub, 'inbox', 'message.received', (e) => e.messageId === id);
    expect(event.media).toMatchObject({ filename: "lama.pdf", size: data.length, sha256: sha256(data) });
    expect(event.media?.error).toBeUndefined();
    expect(stack.media.stored.get(event.media!.id!)).toMatchObject({ sha256: sha256(data) });
    expect(stack.hub.received.filter((f) => f.event.name === 'message.received' && f.event.messageId === id)).toHaveLength(1);
  });
});
