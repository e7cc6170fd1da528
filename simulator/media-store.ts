// The media host's blobs on disk: the CDN's encrypted files by direct path, and the copies a sending phone
// keeps of its own media (to re-upload on request). Bytes only ever stream through files, never whole into
// memory. Under a state file the blobs live beside it and outlive a restart; otherwise in a temp dir
// removed on close.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, mkdtemp, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MediaType } from './media-crypto.ts';
import { uploadToken } from './media-crypto.ts';

/** What a media_conn answer announces, as WhatsApp's does (wave-2 notes); Baileys does not enforce it. */
export const MAX_MEDIA_BYTES = 104_857_600;
/**
 * The largest encrypted upload the media host takes: WhatsApp carries documents up to 2 GB, so the announced
 * 100 MiB is no hard cap (a 100 MiB file grows by its CBC padding and MAC when encrypted). Uploads stream to
 * disk, so the limit costs no memory.
 */
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024;

/** The path part WhatsApp's CDN puts before the file name, per kind of media. */
const CDN_FOLDER: Record<MediaType, string> = {
  image: 't62.7118-24',
  video: 't62.7161-24',
  audio: 't62.7114-24',
  document: 't62.7119-24',
  sticker: 't62.15575-24',
};
/** WhatsApp's direct paths carry an expiry (`oe`, hex seconds) a few weeks out; nothing here enforces it. */
const LINK_LIFETIME_S = 21 * 24 * 3600;

const BLOB_ID = /^[0-9a-f]{32}$/;
const MESSAGE_ID = /^[0-9A-Za-z_-]{1,128}$/;

export class UploadRefused extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** What a sending phone remembers of media it sent: enough to re-upload it and to answer a retry request. */
export type PhoneCopy = { type: MediaType; mediaKey: Buffer; directPath: string };

/** A blob's total size and a stream of it, or of the `range` asked for. */
export type Blob = { size: number; stream: Readable; range?: { start: number; end: number } };

export class MediaStore {
  readonly dir: string;
  #temporary: boolean;
  /** Direct paths expired in this run: the CDN answers 410 Gone for them, 404 for what it never had. */
  #expired = new Set<string>();

  private constructor(dir: string, temporary: boolean) {
    this.dir = dir;
    this.#temporary = temporary;
  }

  /** Blobs beside the state file (`<dir>/simulator-media`), or in a temp dir when there is none. */
  static async open(statePath?: string): Promise<MediaStore> {
    const dir = statePath ? join(dirname(statePath), 'simulator-media') : await mkdtemp(join(tmpdir(), 'kabar-sim-media-'));
    const store = new MediaStore(dir, !statePath);
    await mkdir(join(dir, 'cdn'), { recursive: true });
    await mkdir(join(dir, 'phone'), { recursive: true });
    await mkdir(join(dir, 'incoming'), { recursive: true });
    return store;
  }

  /**
   * Streams an upload into a new blob. `token` must be base64url(SHA-256(body)), as WhatsApp's upload URL
   * carries it; a body that does not hash to it, or is too large, is refused and nothing is kept.
   */
  async upload(body: AsyncIterable<Uint8Array>, type: MediaType, token: string): Promise<{ directPath: string; size: number }> {
    const temporary = join(this.dir, 'incoming', randomBytes(16).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Uint8Array>) {
          for await (const chunk of source) {
            size += chunk.length;
            if (size > MAX_UPLOAD_BYTES) throw new UploadRefused(413, `the upload is over ${MAX_UPLOAD_BYTES} bytes`);
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(temporary),
      );
      if (uploadToken(hash.digest()) !== token) throw new UploadRefused(400, 'the token is not the SHA-256 of the uploaded bytes');
      return { directPath: await this.#publish(temporary, type), size };
    } finally {
      await rm(temporary, { force: true });
    }
  }

  /** Writes a new blob through `fill` (given a file path) and publishes it under a fresh direct path. */
  async create(type: MediaType, fill: (path: string) => Promise<void>): Promise<string> {
    const temporary = join(this.dir, 'incoming', randomBytes(16).toString('hex'));
    try {
      await fill(temporary);
      return await this.#publish(temporary, type);
    } finally {
      await rm(temporary, { force: true });
    }
  }

  /**
   * The blob at a direct path (its query is ignored, as a CDN's signature would be checked elsewhere), or
   * the bytes `range.start` to `range.end` (inclusive, clamped to the blob) of it.
   */
  async open(directPath: string, range?: { start: number; end?: number | undefined }): Promise<Blob | { status: 404 | 410 } | { status: 416; size: number }> {
    const file = this.#cdnFile(directPath);
    if (!file) return { status: 404 };
    try {
      const { size } = await stat(file);
      if (!range) return { size, stream: createReadStream(file) };
      const end = Math.min(range.end ?? size - 1, size - 1);
      if (range.start > end) return { status: 416, size };
      return { size, stream: createReadStream(file, { start: range.start, end }), range: { start: range.start, end } };
    } catch {
      return { status: this.#expired.has(pathOnly(directPath)) ? 410 : 404 };
    }
  }

  /** The CDN drops the blob, as WhatsApp's does after some weeks. False when it had no such blob. */
  async expire(directPath: string): Promise<boolean> {
    const file = this.#cdnFile(directPath);
    if (!file) return false;
    try {
      await unlink(file);
    } catch {
      return false;
    }
    this.#expired.add(pathOnly(directPath));
    return true;
  }

  /** The sending phone keeps its own copy of media it sent as message `id` (a hard link: no second copy on disk). */
  async keepPhoneCopy(id: string, copy: PhoneCopy): Promise<void> {
    const file = this.#cdnFile(copy.directPath);
    if (!MESSAGE_ID.test(id) || !file) throw new Error(`media-store: cannot keep a copy of ${id}`);
    await link(file, join(this.dir, 'phone', `${id}.enc`));
    await this.#writeCopy(id, copy);
  }

  async phoneCopy(id: string): Promise<PhoneCopy | undefined> {
    if (!MESSAGE_ID.test(id)) return undefined;
    try {
      const saved = JSON.parse(await readFile(join(this.dir, 'phone', `${id}.json`), 'utf8')) as { type: MediaType; mediaKey: string; directPath: string };
      return { type: saved.type, mediaKey: Buffer.from(saved.mediaKey, 'base64'), directPath: saved.directPath };
    } catch {
      return undefined;
    }
  }

  /** The phone uploads its copy of message `id` again: the same encrypted bytes under a new direct path. */
  async reupload(id: string): Promise<string | undefined> {
    const copy = await this.phoneCopy(id);
    if (!copy) return undefined;
    const directPath = await this.create(copy.type, (path) => link(join(this.dir, 'phone', `${id}.enc`), path));
    await this.#writeCopy(id, { ...copy, directPath });
    return directPath;
  }

  async close(): Promise<void> {
    if (this.#temporary) await rm(this.dir, { recursive: true, force: true });
  }

  async #writeCopy(id: string, copy: PhoneCopy): Promise<void> {
    const saved = { type: copy.type, mediaKey: copy.mediaKey.toString('base64'), directPath: copy.directPath };
    await writeFile(join(this.dir, 'phone', `${id}.json`), JSON.stringify(saved));
  }

  /** Moves a finished file into the CDN under a new id; its direct path looks like WhatsApp's. */
  async #publish(file: string, type: MediaType): Promise<string> {
    const id = randomBytes(16).toString('hex');
    await rename(file, join(this.dir, 'cdn', `${id}.enc`));
    const oe = Math.floor(Date.now() / 1000 + LINK_LIFETIME_S).toString(16).toUpperCase();
    return `/v/${CDN_FOLDER[type]}/${id}.enc?ccb=11-4&oe=${oe}&_nc_sid=5e03e0&mms3=true`;
  }

  #cdnFile(directPath: string): string | undefined {
    const match = /^\/v\/t62\.[0-9]+-24\/([^/?]+)\.enc$/.exec(pathOnly(directPath));
    return match && BLOB_ID.test(match[1]!) ? join(this.dir, 'cdn', `${match[1]}.enc`) : undefined;
  }
}

function pathOnly(directPath: string): string {
  const query = directPath.indexOf('?');
  return query === -1 ? directPath : directPath.slice(0, query);
}
