// Media (issue 13). Image send throughput: a 1 MiB JPEG uploaded once (POST /api/media), then sent by its
// mediaId with POST /api/messages, counted once the contact's simulator inbox stored it byte-exact (its
// SHA-256); beside plain Baileys' sendMessage with the same image on the same simulator, same concurrency.
// Connector memory: the connector process's peak RSS rise while it sends and while it receives a 100 MiB
// document, from its RSS after a forced GC to its high-water mark (VmHWM, reset through clear_refs first),
// each in a freshly restarted connector process.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { figure, type BenchSettings, type Figure } from './figure.ts';
import { RAW_PHONES, type Lab } from './lab.ts';
import { runPool } from './pool.ts';
import { settledRss } from './process-memory.ts';
import { median } from './stats.ts';

const MiB = 1024 * 1024;
const IMAGE_BYTES = MiB;
/** Exactly 100 MiB (MAX_MEDIA_BYTES): its encrypted upload, 26 bytes more, is taken as WhatsApp takes it. */
const DOCUMENT_BYTES = 100 * MiB;
const CONCURRENCY = 4;
/** The contact that receives every image, and the one that sends the 100 MiB document. */
const CONTACT = '6289900000011';
const SENDER = '6289900000012';
const STORE_TIMEOUT_MS = 300_000;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A real JPEG (noise, so it does not compress away) padded after its end marker to exactly 1 MiB. */
async function oneMiBJpeg(): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 1100, height: 1100, channels: 3, background: { r: 128, g: 128, b: 128 }, noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
  if (jpeg.length > IMAGE_BYTES) throw new Error(`the noise JPEG is ${jpeg.length} bytes, over 1 MiB`);
  return Buffer.concat([jpeg, Buffer.alloc(IMAGE_BYTES - jpeg.length)]);
}

/** Raw bytes into POST /api/media (the large-file path); the mediaId. */
async function upload(lab: Lab, apiKey: string, data: Buffer, mimetype: string): Promise<string> {
  const reply = await fetch(`${lab.stack.url}/api/media`, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': mimetype }, body: data });
  if (reply.status !== 201) throw new Error(`POST /api/media: ${reply.status} ${await reply.text()}`);
  return ((await reply.json()) as { mediaId: string }).mediaId;
}

/** Waits until the contact stored each message, and checks it found the bytes that were sent. */
async function storedExact(lab: Lab, ids: string[], expected: string): Promise<void> {
  for (const id of ids) {
    const { sha256: found } = await lab.simulator.untilCopies(id, 1, STORE_TIMEOUT_MS);
    if (found[0] !== expected) throw new Error(`message ${id}: the contact stored media with SHA-256 ${found[0] ?? 'none'}, not ${expected}`);
  }
}

/** Images per second, from the first send until the contact stored the last one. */
async function timed(send: () => Promise<string[]>, lab: Lab, expected: string, count: number): Promise<number> {
  const start = performance.now();
  await storedExact(lab, await send(), expected);
  return count / ((performance.now() - start) / 1_000);
}

async function imageThroughput(lab: Lab, settings: BenchSettings, dir: string): Promise<Figure> {
  const image = await oneMiBJpeg();
  const path = join(dir, 'image.jpg');
  await writeFile(path, image);
  const expected = sha256(image);
  const headers = { 'x-api-key': lab.sessions[0]!.apiKey };
  const mediaId = await upload(lab, lab.sessions[0]!.apiKey, image, 'image/jpeg');
  const gateway = (count: number) => () =>
    runPool(Array.from({ length: count }, (_, i) => i), CONCURRENCY, async () => {
      const reply = await lab.http.call('POST', '/api/messages', { headers, body: { to: CONTACT, type: 'image', image: { mediaId } } });
      if (reply.status !== 200) throw new Error(`POST /api/messages: ${reply.status} ${reply.body}`);
      return JSON.parse(reply.body).result.key.id as string;
    });
  const raw = (count: number) => () => lab.raw.sendImages(CONTACT, path, count, CONCURRENCY);
  // Warm-up: the Signal session with the contact and the media connection, on both sides.
  await timed(gateway(1), lab, expected, 1);
  await timed(raw(1), lab, expected, 1);
  const count = settings.quick ? 12 : 40;
  const ours: number[] = [];
  const reference: number[] = [];
  for (let run = 0; run < settings.runs; run++) {
    ours.push(await timed(gateway(count), lab, expected, count));
    reference.push(await timed(raw(count), lab, expected, count));
  }
  console.error(`  1 MiB images: ${ours.map((v) => v.toFixed(1)).join(', ')} /s; reference ${reference.map((v) => v.toFixed(1)).join(', ')}`);
  return figure({
    name: `image send throughput, 1 MiB, ${CONCURRENCY} in flight`,
    unit: 'img/s',
    ours: median(ours),
    reference: median(reference),
    referenceName: 'plain Baileys sendMessage, same image',
    target: '-',
    pass: null,
    detail: { imageBytes: image.length, imagesPerRun: count, concurrency: CONCURRENCY, runs: settings.runs, perRun: { ours, reference }, until: 'stored by the contact, SHA-256 checked' },
  });
}

async function highWaterMark(pid: number): Promise<number> {
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kb) throw new Error(`no VmHWM for ${pid}`);
  return Number(kb) * 1024;
}

/** Restarts the connector (logins kept) and waits until the session is connected again. */
async function freshConnector(lab: Lab): Promise<void> {
  await lab.stopConnector();
  lab.startConnector();
  const deadline = Date.now() + STORE_TIMEOUT_MS;
  for (;;) {
    const reply = await lab.http.call('GET', '/api/session/status', { headers: { 'x-api-key': lab.sessions[0]!.apiKey } });
    if (reply.status === 200 && JSON.parse(reply.body).connected === true) return;
    if (Date.now() > deadline) throw new Error(`the restarted connector did not connect: ${reply.status} ${reply.body}`);
    await sleep(100);
  }
}

/**
 * The peak RSS over the settled RSS while `work` runs, in a freshly started connector: a process that already
 * moved 100 MiB keeps the pages it grew, and would show almost no rise for the next transfer.
 */
async function peakRise(lab: Lab, work: () => Promise<void>): Promise<{ rise: number; settled: number; peak: number }> {
  await freshConnector(lab);
  const pid = lab.connector.pid;
  const settled = await settledRss(pid);
  // "5" resets the peak (VmHWM) to the current RSS (proc(5), /proc/pid/clear_refs).
  await writeFile(`/proc/${pid}/clear_refs`, '5');
  await work();
  const peak = await highWaterMark(pid);
  return { rise: peak - settled, settled, peak };
}

/** Polls the Worker's database until the received message's file is stored; its SHA-256. */
async function receivedMedia(lab: Lab, messageId: string): Promise<string> {
  const deadline = Date.now() + STORE_TIMEOUT_MS;
  for (;;) {
    const { rows } = await lab.stack.db.execute({
      sql: "SELECT media.sha256 FROM messages JOIN media ON media.id = messages.media_id WHERE messages.direction = 'in' AND messages.provider_message_id = ?",
      args: [messageId],
    });
    if (rows[0]) return String(rows[0].sha256);
    if (Date.now() > deadline) throw new Error(`message ${messageId}: no stored media after ${STORE_TIMEOUT_MS} ms`);
    await sleep(100);
  }
}

async function documentMemory(lab: Lab, settings: BenchSettings): Promise<Figure[]> {
  const { apiKey, phone } = lab.sessions[0]!;
  const document = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(DOCUMENT_BYTES - 9, 7)]);
  const expected = sha256(document);
  const mediaId = await upload(lab, apiKey, document, 'application/pdf');
  type Rise = Awaited<ReturnType<typeof peakRise>>;
  const sent: Rise[] = [];
  const received: Rise[] = [];
  for (let run = 0; run < settings.runs; run++) {
    sent.push(
      await peakRise(lab, async () => {
        const reply = await lab.http.call('POST', '/api/messages', { headers: { 'x-api-key': apiKey }, body: { to: CONTACT, type: 'document', document: { mediaId, filename: 'bench.pdf' } } });
        if (reply.status !== 200) throw new Error(`POST /api/messages (100 MiB document): ${reply.status} ${reply.body}`);
        await storedExact(lab, [JSON.parse(reply.body).result.key.id], expected);
      }),
    );
    received.push(
      await peakRise(lab, async () => {
        const { id, sha256: sentSha } = await lab.simulator.contactSendDocument(SENDER, phone, DOCUMENT_BYTES);
        const stored = await receivedMedia(lab, id);
        if (stored !== sentSha) throw new Error(`received document stored with SHA-256 ${stored}, not ${sentSha}`);
      }),
    );
  }
  const mb = (rises: Rise[]) => rises.map((r) => r.rise / MiB);
  console.error(`  100 MiB document: peak RSS rise ${mb(sent).map((v) => v.toFixed(1)).join(', ')} MB sending, ${mb(received).map((v) => v.toFixed(1)).join(', ')} MB receiving`);
  const row = (direction: string, rises: Rise[]) =>
    figure({
      name: `connector peak RSS rise, 100 MiB document ${direction}`,
      unit: 'MB',
      ours: median(mb(rises)),
      reference: null,
      referenceName: 'none',
      target: '-',
      pass: null,
      detail: { perRunMB: mb(rises), settledRssMB: rises.map((r) => r.settled / MiB), peakRssMB: rises.map((r) => r.peak / MiB), documentBytes: DOCUMENT_BYTES },
    });
  return [row('sent', sent), row('received', received)];
}

export async function mediaSend(lab: Lab, settings: BenchSettings): Promise<Figure[]> {
  await lab.pairUpTo(1);
  await lab.raw.linkUpTo(1, RAW_PHONES);
  const dir = await mkdtemp(join(tmpdir(), 'kabar-bench-media-'));
  try {
    return [await imageThroughput(lab, settings, dir), ...(await documentMemory(lab, settings))];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
