// Media a session received, end to end at the edge: the connector (scripted) PUTs the bytes through its
// media link and reports message.received; the webhook and the live stream carry a signed, expiring public
// link that gives those bytes to anyone holding it, without a key, and the message row records the kind.
import { createHash, randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signMediaLink } from '../../shared/media-link.ts';
import type { SessionEvent } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { startWebhookReceiver } from '../../testing/webhook-receiver.ts';
import { signPublicMediaUrl } from '../media/public-media-url.ts';

const TTL_SECONDS = 600;
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(5000)]);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let stack: Stack;
let api: Api;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let connector: ScriptedConnector;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStack({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', MEDIA_URL_TTL_SECONDS: String(TTL_SECONDS) });
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'receiver' })).script;
});
afterAll(async () => {
  await connector.close();
  await stack.close();
  await receiver.close();
});

/** What the connector does with a received file before it reports the message. */
async function putReceived(sessionId: string, mediaId: string, bytes: Buffer, mimetype: string): Promise<void> {
  const url = await signMediaLink(stack.connectorSecret, stack.url, 'PUT', sessionId, mediaId, Date.now() + 60_000);
  const response = await fetch(url, { method: 'PUT', headers: { 'content-type': mimetype, 'x-kabar-filename': 'laporan.pdf' }, body: bytes });
  expect(response.status).toBe(201);
}

function receivedDocument(mediaId: string): SessionEvent {
  return {
    name: 'message.received',
    messageId: `DOC${Math.random().toString(36).slice(2)}`,
    from: '6281299990000',
    text: 'laporan bulan ini',
    timestamp: 1_700_000_000_000,
    type: 'document',
    media: { id: mediaId, mimetype: 'application/pdf', size: PDF.length, sha256: sha256(PDF), filename: 'laporan.pdf', caption: 'laporan bulan ini' },
  };
}

describe('received media', () => {
  it('reaches the webhook with a link that downloads the same bytes without a key, until it expires', async () => {
    const { sessionId } = await createSession(api, { webhookUrl: `${receiver.url}/hooks/media` });
    const mediaId = 'med_incoming0000000000001';
    await putReceived(sessionId, mediaId, PDF, 'application/pdf');
    const before = Date.now();
    const id = await connector.emit(sessionId, receivedDocument(mediaId));
    const hook = await receiver.next((h) => h.headers['x-kabar-event-id'] === id);
    const { data } = JSON.parse(hook.body);
    expect(data).toMatchObject({ type: 'document', media: { id: mediaId, mimetype: 'application/pdf', filename: 'laporan.pdf', caption: 'laporan bulan ini' } });
    // Without PUBLIC_URL the link is on the origin the connector reached the Worker at.
    expect(data.media.url).toMatch(new RegExp(`^${stack.url}/media/${mediaId}\\?expires=\\d+&signature=[0-9a-f]{64}$`));
    expect(data.media.expiresAt).toBeGreaterThanOrEqual(before + TTL_SECONDS * 1000);
    expect(data.media.expiresAt).toBeLessThanOrEqual(Date.now() + TTL_SECONDS * 1000);
    expect(data.media.url).toContain(`expires=${data.media.expiresAt}`);

    const download = await fetch(data.media.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(PDF));

    const row = await stack.db.execute({ sql: 'select type, media_id, text from messages where session_id = ? and direction = ?', args: [sessionId, 'in'] });
    expect({ ...row.rows[0] }).toEqual({ type: 'document', media_id: mediaId, text: 'laporan bulan ini' });
    // The stored event stays link-free: links are made as it goes out.
    const stored = await stack.db.execute({ sql: 'select payload from events where id = ?', args: [id] });
    expect(String(stored.rows[0]?.payload)).not.toContain('signature=');
  });

  it('refuses a public link that is tampered with, expired, or signed as a connector media link', async () => {
    const { sessionId } = await createSession(api);
    const mediaId = 'med_incoming0000000000002';
    await putReceived(sessionId, mediaId, PDF, 'application/pdf');
    const good = await signPublicMediaUrl(stack.connectorSecret, stack.url, mediaId, Date.now() + 60_000);
    expect((await fetch(good)).status).toBe(200);
    const expired = await signPublicMediaUrl(stack.connectorSecret, stack.url, mediaId, Date.now() - 1);
    const otherFile = good.replace(mediaId, 'med_incoming0000000000001');
    const connectorLink = new URL(await signMediaLink(stack.connectorSecret, stack.url, 'GET', sessionId, mediaId, Date.now() + 60_000));
    const asPublic = `${stack.url}/media/${mediaId}${connectorLink.search}`;
    for (const url of [expired, otherFile, asPublic, `${stack.url}/media/${mediaId}`, good.replace(/expires=\d+/, `expires=${Date.now() + 120_000}`)]) {
      const response = await fetch(url);
      expect([url, response.status]).toEqual([url, 401]);
    }
  });

  it('carries the link on the live stream too', async () => {
    const { sessionId, apiKey } = await createSession(api);
    const mediaId = 'med_incoming0000000000003';
    await putReceived(sessionId, mediaId, PDF, 'application/pdf');
    const socket = new WebSocket(`${stack.hubUrl}/api/events?apiKey=${apiKey}`);
    const received = new Promise<string>((resolve) =>
      socket.on('message', (data) => {
        if (data.toString().includes('"message.received"')) resolve(data.toString());
      }),
    );
    await new Promise((resolve) => socket.once('message', resolve));
    await connector.emit(sessionId, receivedDocument(mediaId));
    const envelope = JSON.parse(await received);
    expect(envelope.data.media.url).toMatch(new RegExp(`^${stack.url}/media/${mediaId}\\?`));
    expect(sha256(new Uint8Array(await (await fetch(envelope.data.media.url)).arrayBuffer()))).toBe(sha256(PDF));
    socket.close();
  });

  it('records the kind and file of a media message the session sent', async () => {
    const { sessionId } = await createSession(api);
    await connector.emit(sessionId, { name: 'message.sent', messageId: 'SENTIMG1', to: '6281299990000', text: 'caption', timestamp: 1_700_000_000_000, type: 'image', media: { id: 'med_sent00000000000000001', mimetype: 'image/jpeg', size: 3, sha256: '0'.repeat(64) } });
    const row = await stack.db.execute({ sql: 'select type, media_id from messages where session_id = ? and direction = ?', args: [sessionId, 'out'] });
    expect({ ...row.rows[0] }).toEqual({ type: 'image', media_id: 'med_sent00000000000000001' });
  });

  it('sends an event whose media failed to download as it is, with no link', async () => {
    const { sessionId } = await createSession(api, { webhookUrl: `${receiver.url}/hooks/failed` });
    const id = await connector.emit(sessionId, {
      name: 'message.received',
      messageId: 'EXPIRED1',
      from: '6281299990000',
      text: '',
      timestamp: 1_700_000_000_000,
      type: 'image',
      media: { mimetype: 'image/jpeg', size: 1234, error: { code: 'EXPIRED', message: 'the phone no longer has it' } },
    });
    const { data } = JSON.parse((await receiver.next((h) => h.headers['x-kabar-event-id'] === id)).body);
    expect(data.media).toEqual({ mimetype: 'image/jpeg', size: 1234, error: { code: 'EXPIRED', message: 'the phone no longer has it' } });
  });
});
