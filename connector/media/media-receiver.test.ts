// The receiving half of media against the simulator's real media host (blobs uploaded by a real Baileys
// client, real media crypto) and a loopback server answering the Worker's media links: download, decrypt,
// check, store under a stable id, then the event; and what happens when any of that cannot be done.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { generateWAMessage, type AnyMessageContent, type WAMessage } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../simulator/server.ts';
import { linkClient, type TestClient } from '../../simulator/test-client.ts';
import { eventually } from '../../testing/eventually.ts';
import { openConnectorDb, type Client } from '../db.ts';
import { KEY, useSimulatorWorld } from '../test-stack.ts';
import { receivedMediaId } from './media-id.ts';
import { createMediaJobs, type IncomingEvent, type MediaJobs } from './media-jobs.ts';
import { MediaReceiver, type MediaReceiverOptions } from './media-receiver.ts';
import { startTestMediaEndpoint, type TestMediaEndpoint } from './test-media-endpoint.ts';

const SECRET = 'media-receiver-test-secret-012345';
const silent = pino({ level: 'silent' });
let simulator: Simulator;
let dir: string;
let worker: TestMediaEndpoint;
let db: Client;
let jobs: MediaJobs;
let sender: TestClient;
const clients: TestClient[] = [];

useSimulatorWorld('kabar-media-receiver-', (world) => ({ simulator, dir } = world));

beforeAll(async () => {
  worker = await startTestMediaEndpoint(SECRET);
  db = await openConnectorDb(`file:${join(dir, 'receiver.db')}`);
  jobs = createMediaJobs(db, KEY, { connectorId: 'receiver-test' });
  sender = await linkClient(simulator, '6281100000401', (c) => clients.push(c));
});

afterAll(async () => {
  for (const client of clients) client.end();
  db?.close();
  await worker?.close();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
let counter = 0;

/** A media message as a contact's phone would send it: the blob really is on the simulator's media host. */
async function receivedMessage(content: AnyMessageContent): Promise<WAMessage> {
  const message = await generateWAMessage('6281100000499@s.whatsapp.net', content, { userJid: sender.sock.user!.id, upload: sender.sock.waUploadToServer });
  return { ...message, key: { remoteJid: '6281900000401@s.whatsapp.net', fromMe: false, id: `RCV${Date.now()}${counter++}` } };
}

function baseEvent(message: WAMessage, type: IncomingEvent['type'], text = ''): IncomingEvent {
  return { name: 'message.received', messageId: message.key.id!, from: '6281900000401', text, timestamp: 1_700_000_000_000, type };
}

type Emitted = { sessionId: string; event: IncomingEvent; id: string };

function receiver(emitted: Emitted[], overrides: Partial<MediaReceiverOptions> = {}): MediaReceiver {
  return new MediaReceiver({
    jobs,
    secret: SECRET,
    origin: worker.origin,
    emit: async (sessionId, event, id) => void emitted.push({ sessionId, event, id }),
    reupload: async () => {
      throw new Error('no phone to ask in this test');
    },
    retryDelay: () => 20,
    logger: silent,
    ...overrides,
  });
}

function emittedFor(emitted: Emitted[], messageId: string): Promise<Emitted> {
  return eventually(() => {
    const found = emitted.find((e) => e.event.messageId === messageId);
    if (!found) throw new Error(`no event for ${messageId}`);
    return found;
  });
}

describe('MediaReceiver', () => {
  it('stores the decrypted bytes at the Worker under an id derived from the message, then emits the event naming them', async () => {
    const document = randomBytes(150_000);
    const message = await receivedMessage({ document, mimetype: 'application/pdf', fileName: 'invoice.pdf', caption: 'the invoice' });
    const emitted: Emitted[] = [];
    const media = receiver(emitted);
    const eventId = `rcv-test-${message.key.id}`;
    await media.receive('s1', message, baseEvent(message, 'document', 'the invoice'), eventId);
    const { event, id, sessionId } = await emittedFor(emitted, message.key.id!);
    media.close();
    expect({ sessionId, id }).toEqual({ sessionId: 's1', id: eventId });
    const mediaId = receivedMediaId(eventId);
    expect(event.media).toEqual({ id: mediaId, mimetype: 'application/pdf', size: document.length, sha256: sha256(document), filename: 'invoice.pdf', caption: 'the invoice' });
    expect(worker.stored.get(mediaId)).toMatchObject({ size: document.length, sha256: sha256(document), contentType: 'application/pdf' });
    expect(await jobs.nextDue()).toBeNull();
  });

  it('resumes a job a previous process left, overwriting the same media id', async () => {
    const image = randomBytes(30_000);
    const message = await receivedMessage({ image, mimetype: 'image/jpeg', jpegThumbnail: '' });
    const eventId = `rcv-test-${message.key.id}`;
    // Stored, as the receipt hook does, by a process that died before running it.
    await jobs.add({ sessionId: 's1', messageId: message.key.id!, eventId, event: baseEvent(message, 'image'), message }, Date.now());
    const emitted: Emitted[] = [];
    const media = receiver(emitted);
    media.kick();
    const { event } = await emittedFor(emitted, message.key.id!);
    media.close();
    expect(event.media).toMatchObject({ id: receivedMediaId(eventId), size: image.length, sha256: sha256(image) });
    expect(await jobs.nextDue()).toBeNull();
  });

  it('reports TOO_LARGE without downloading media over the size limit', async () => {
    const message = await receivedMessage({ document: randomBytes(4_000), mimetype: 'application/zip', fileName: 'big.zip' });
    const emitted: Emitted[] = [];
    const media = receiver(emitted, { maxBytes: 1_000 });
    let fetched = 0;
    const stop = simulator.events.on('media-fetched', () => fetched++);
    await media.receive('s1', message, baseEvent(message, 'document'), `rcv-test-${message.key.id}`);
    const { event } = await emittedFor(emitted, message.key.id!);
    media.close();
    expect(event.media).toMatchObject({ size: 4_000, filename: 'big.zip', error: { code: 'TOO_LARGE' } });
    expect(event.media?.id).toBeUndefined();
    expect(worker.stored.has(receivedMediaId(`rcv-test-${message.key.id}`))).toBe(false);
    stop();
    expect(fetched).toBe(0);
  });

  it('after its last attempt reports the message with media.error rather than never', async () => {
    const message = await receivedMessage({ document: randomBytes(2_000), mimetype: 'application/pdf', fileName: 'gone.pdf' });
    // A path the media host never had: 404, so the phone is asked and (here) cannot answer.
    message.message!.documentMessage!.directPath = '/v/t62.7119-24/never-uploaded.enc';
    const emitted: Emitted[] = [];
    let asked = 0;
    const media = receiver(emitted, {
      maxAttempts: 3,
      reupload: async () => {
        asked++;
        throw new Error('the phone did not answer');
      },
    });
    await media.receive('s1', message, baseEvent(message, 'document'), `rcv-test-${message.key.id}`);
    const { event } = await emittedFor(emitted, message.key.id!);
    media.close();
    expect(event.media).toMatchObject({ filename: 'gone.pdf', error: { code: 'EXPIRED', message: expect.stringMatching(/phone did not upload it again/) } });
    expect(asked).toBe(3);
    expect(emitted.filter((e) => e.event.messageId === message.key.id)).toHaveLength(1);
    expect(await jobs.nextDue()).toBeNull();
  });

  it('never completes a Worker upload of bytes that are not the ones the message announced', async () => {
    const message = await receivedMessage({ document: randomBytes(64_000), mimetype: 'application/pdf', fileName: 'tampered.pdf' });
    message.message!.documentMessage!.fileSha256 = randomBytes(32);
    const emitted: Emitted[] = [];
    const media = receiver(emitted, { maxAttempts: 2 });
    const eventId = `rcv-test-${message.key.id}`;
    await media.receive('s1', message, baseEvent(message, 'document'), eventId);
    const { event } = await emittedFor(emitted, message.key.id!);
    media.close();
    expect(event.media).toMatchObject({ error: { code: 'DOWNLOAD_FAILED', message: expect.stringMatching(/SHA-256/) } });
    expect(worker.putsStarted.get(receivedMediaId(eventId))).toBeGreaterThanOrEqual(1);
    expect(worker.stored.has(receivedMediaId(eventId))).toBe(false);
  });

  it("forgets a removed session: deletes its jobs, stops the one uploading, reports nothing of it and keeps other sessions' jobs", async () => {
    const message = await receivedMessage({ document: randomBytes(20_000), mimetype: 'application/pdf', fileName: 'held.pdf' });
    const waiting = await receivedMessage({ document: randomBytes(2_000), mimetype: 'application/pdf', fileName: 'later.pdf' });
    await jobs.add({ sessionId: 'kept', messageId: waiting.key.id!, eventId: `rcv-test-${waiting.key.id}`, event: baseEvent(waiting, 'document'), message: waiting }, Date.now() + 3_600_000);
    const emitted: Emitted[] = [];
    const media = receiver(emitted);
    const hold = worker.holdPuts();
    await media.receive('removed', message, baseEvent(message, 'document'), `rcv-test-${message.key.id}`);
    const mediaId = await hold.reached;
    await media.forget('removed');
    expect(await hold.abandoned).toBe(mediaId);
    hold.release();
    media.close();
    expect(worker.stored.has(mediaId)).toBe(false);
    expect(emitted).toEqual([]);
    expect(await jobs.has('removed', message.key.id!)).toBe(false);
    expect(await jobs.has('kept', waiting.key.id!)).toBe(true);
    await jobs.forget('kept');
  });

  it('never uploads or reports a job whose row was deleted after it was read (its session removed meanwhile)', async () => {
    const message = await receivedMessage({ document: randomBytes(5_000), mimetype: 'application/pdf', fileName: 'raced.pdf' });
    const eventId = `rcv-test-${message.key.id}`;
    let raced = false;
    let settled!: () => void;
    const afterRace = new Promise<void>((resolve) => (settled = resolve));
    // The removal commits between the read of the due jobs and the start of this one: no abort reaches it.
    const racing: MediaJobs = {
      ...jobs,
      async due(now, limit) {
        const found = await jobs.due(now, limit);
        if (!raced && found.some((j) => j.sessionId === 'raced')) {
          raced = true;
          await jobs.forget('raced');
        } else if (raced) settled(); // the next drain comes only once the job has settled
        return found;
      },
    };
    const emitted: Emitted[] = [];
    const media = receiver(emitted, { jobs: racing });
    await media.receive('raced', message, baseEvent(message, 'document'), eventId);
    await afterRace;
    media.close();
    expect(worker.putsStarted.has(receivedMediaId(eventId))).toBe(false);
    expect(emitted).toEqual([]);
  });

  it('retries while the Worker refuses the bytes, and never emits the event as stored', async () => {
    const message = await receivedMessage({ document: randomBytes(3_000), mimetype: 'application/pdf', fileName: 'refused.pdf' });
    const emitted: Emitted[] = [];
    const media = receiver(emitted, { secret: 'another-secret-the-worker-rejects', maxAttempts: 2 });
    await media.receive('s1', message, baseEvent(message, 'document'), `rcv-test-${message.key.id}`);
    const { event } = await emittedFor(emitted, message.key.id!);
    media.close();
    expect(event.media).toMatchObject({ error: { code: 'DOWNLOAD_FAILED', message: expect.stringMatching(/403/) } });
  });
});
