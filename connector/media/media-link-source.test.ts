// The source of outgoing media bytes, against a loopback server answering media links as the Worker does.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signMediaLink } from '../../shared/media-link.ts';
import type { OutgoingMedia } from '../../shared/protocol.ts';
import { mediaLinkSource } from './media-link-source.ts';
import { MediaUnavailable } from './media-unavailable.ts';
import { startTestMediaEndpoint, type TestMediaEndpoint } from './test-media-endpoint.ts';

const SECRET = 'media-link-source-test-secret-0123';
let worker: TestMediaEndpoint;
let elsewhere: TestMediaEndpoint;
const bytes = randomBytes(300_000);
const sha256 = createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  [worker, elsewhere] = await Promise.all([startTestMediaEndpoint(SECRET), startTestMediaEndpoint(SECRET)]);
  worker.serve('media-0123456789abcdef', bytes);
  elsewhere.serve('media-0123456789abcdef', bytes);
});
afterAll(async () => {
  await Promise.all([worker?.close(), elsewhere?.close()]);
});

const media = async (overrides: Partial<OutgoingMedia> = {}): Promise<OutgoingMedia> => ({
  id: 'media-0123456789abcdef',
  url: await worker.link('GET', 's1', 'media-0123456789abcdef'),
  mimetype: 'image/jpeg',
  size: bytes.length,
  sha256,
  ...overrides,
});

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('mediaLinkSource', () => {
  it("streams the announced bytes from a link on the connector's own Worker", async () => {
    const read = await drain(await mediaLinkSource(worker.origin)(await media()));
    expect(createHash('sha256').update(read).digest('hex')).toBe(sha256);
  });

  it('never fetches a link of another origin, however well signed', async () => {
    const before = elsewhere.requests.length;
    const foreign = await signMediaLink(SECRET, elsewhere.origin, 'GET', 's1', 'media-0123456789abcdef', Date.now() + 60_000);
    await expect(mediaLinkSource(worker.origin)(await media({ url: foreign }))).rejects.toThrow(MediaUnavailable);
    expect(elsewhere.requests.length).toBe(before);
  });

  it('fails with MediaUnavailable when the Worker refuses the link or has no such media', async () => {
    const source = mediaLinkSource(worker.origin);
    const forged = (await media()).url.replace(/signature=[0-9a-f]+/, `signature=${'0'.repeat(64)}`);
    await expect(source(await media({ url: forged }))).rejects.toThrow(/answered 403/);
    await expect(source(await media({ url: await worker.link('GET', 's1', 'media-unknown-000000000') }))).rejects.toThrow(/answered 404/);
  });

  it('fails the stream when the bytes are not the announced size or SHA-256', async () => {
    const source = mediaLinkSource(worker.origin);
    await expect(drain(await source(await media({ sha256: '0'.repeat(64) })))).rejects.toThrow(/SHA-256 differs/);
    await expect(drain(await source(await media({ size: bytes.length - 1 })))).rejects.toThrow(/longer than the announced/);
    await expect(drain(await source(await media({ size: bytes.length + 1 })))).rejects.toThrow(MediaUnavailable);
  });

  it('fails with MediaUnavailable when the Worker cannot be reached', async () => {
    const closed = await startTestMediaEndpoint(SECRET);
    await closed.close();
    const url = await closed.link('GET', 's1', 'media-0123456789abcdef');
    await expect(mediaLinkSource(closed.origin)(await media({ url }))).rejects.toThrow(/could not be reached/);
  });
});
