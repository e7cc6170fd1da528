// Media sends through the whole connector (hub link, commands, real Baileys) against the WhatsApp simulator:
// where the bytes may come from, and what happens when they are not the bytes announced.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { startTestMediaEndpoint, type TestMediaEndpoint } from './media/test-media-endpoint.ts';
import { SECRET, pair, sendMessage, startStack, useSimulatorWorld, type Stack } from './test-stack.ts';

let dir: string;
let simulator: Simulator;
let stack: Stack;
let elsewhere: TestMediaEndpoint;
const phone = '6281100000301';
const contact = '6281900000301';

useSimulatorWorld('kabar-media-send-', (world) => ({ simulator, dir } = world));

beforeAll(async () => {
  stack = await startStack(simulator.wsUrl, join(dir, 'media.db'));
  elsewhere = await startTestMediaEndpoint(SECRET);
  await pair(stack, simulator, 'media', phone);
});

afterAll(async () => {
  await stack?.close();
  await elsewhere?.close();
});

describe('sending media', () => {
  it("answers MEDIA_UNAVAILABLE for a media link that is not on the connector's Worker, and never fetches it", async () => {
    const bytes = randomBytes(1_000);
    elsewhere.serve('media-elsewhere-0000001', bytes);
    const url = await elsewhere.link('GET', 'media', 'media-elsewhere-0000001');
    const result = await sendMessage(stack.hub, 'media', contact, {
      type: 'image',
      media: { id: 'media-elsewhere-0000001', url, mimetype: 'image/jpeg', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'MEDIA_UNAVAILABLE' } });
    expect(elsewhere.requests).toEqual([]);
    expect(simulator.inbox(contact)).toEqual([]);
  });
});
