// Files in the MEDIA bucket: storing a stream (an upload, a file fetched for a send, media the connector
// received) with its row, and opening one for a session. Knows nothing of HTTP.
import { and, eq } from 'drizzle-orm';
import { media } from '../../shared/db/schema.ts';
import { ApiError } from '../errors.ts';
import { sweepBucket } from '../media/bucket-sweep.ts';
import { mediaKey, newMediaId } from '../media/media-key.ts';
import { settleMimetype } from '../media/sniff.ts';
import { streamToBucket, tooLarge } from '../media/stream-to-bucket.ts';
import type { Services } from './ports.ts';

export interface StoredMedia {
  mediaId: string;
  mimetype: string;
  size: number;
  sha256: string;
  filename?: string;
}

export interface MediaInput {
  body: ReadableStream<Uint8Array>;
  /** What the sender says it is; checked against the bytes (see sniff.ts). */
  mimetype?: string | undefined;
  filename?: string | undefined;
  /** Content-Length, when the sender gave one: a file that is too large is refused before any byte. */
  length?: number | undefined;
  direction: 'in' | 'out';
  /** The id to store under (the connector names the media it received); a new one otherwise. */
  mediaId?: string;
  /** Refuses bytes whose type does not suit; runs before anything is stored. */
  check?: (mimetype: string) => void;
}

export async function storeMedia(s: Services, sessionId: string, input: MediaInput): Promise<StoredMedia> {
  const maxBytes = s.config.MAX_MEDIA_BYTES;
  if (input.length !== undefined && input.length > maxBytes) {
    await input.body.cancel().catch(() => {});
    throw tooLarge(maxBytes);
  }
  const mediaId = input.mediaId ?? newMediaId();
  const key = mediaKey(sessionId, mediaId);
  const createdAt = Date.now();
  let mimetype = '';
  const streamed = await streamToBucket(s.media, key, input.body, {
    maxBytes,
    describe(head) {
      const settled = settleMimetype(input.mimetype, head);
      if ('problem' in settled) {
        throw new ApiError('VALIDATION_FAILED', `Invalid file: ${settled.problem}`, { details: [{ field: 'mimetype', message: settled.problem }] });
      }
      mimetype = settled.mimetype;
      input.check?.(mimetype);
      return {
        httpMetadata: { contentType: mimetype },
        customMetadata: { sessionId, mimetype, createdAt: String(createdAt), ...(input.filename ? { filename: input.filename } : {}) },
      };
    },
  });
  const row = { id: mediaId, sessionId, direction: input.direction, mimetype, size: streamed.size, sha256: streamed.sha256, filename: input.filename ?? null, createdAt };
  try {
    await s.db.insert(media).values(row).onConflictDoUpdate({ target: media.id, set: row });
  } catch (error) {
    // Without its row the object would be unreachable bytes: take it away again.
    await s.media.delete(key).catch(() => {});
    throw error;
  }
  return { mediaId, mimetype, size: streamed.size, sha256: streamed.sha256, ...(input.filename ? { filename: input.filename } : {}) };
}

/** The session's own file, or MEDIA_NOT_FOUND: another session's id is as unknown as a made-up one. */
export async function findMedia(s: Services, sessionId: string, mediaId: string): Promise<StoredMedia> {
  const [row] = await s.db.select().from(media).where(and(eq(media.id, mediaId), eq(media.sessionId, sessionId))).limit(1);
  if (!row) throw new ApiError('MEDIA_NOT_FOUND', `No media ${mediaId} in this session`);
  return { mediaId: row.id, mimetype: row.mimetype, size: row.size, sha256: row.sha256, ...(row.filename ? { filename: row.filename } : {}) };
}

/** A file by its id alone, for a signed public link (which names no session). */
export async function openMediaById(s: Services, mediaId: string): Promise<{ media: StoredMedia; body: ReadableStream }> {
  const [row] = await s.db.select({ sessionId: media.sessionId }).from(media).where(eq(media.id, mediaId)).limit(1);
  if (!row) throw new ApiError('MEDIA_NOT_FOUND', `No media ${mediaId}`);
  return openMedia(s, row.sessionId, mediaId);
}

export async function openMedia(s: Services, sessionId: string, mediaId: string): Promise<{ media: StoredMedia; body: ReadableStream }> {
  const found = await findMedia(s, sessionId, mediaId);
  const object = await s.media.get(mediaKey(sessionId, mediaId));
  // The row outlived its bytes (pruned a moment ago): the file is gone either way.
  if (!object) throw new ApiError('MEDIA_NOT_FOUND', `No media ${mediaId} in this session`);
  return { media: found, body: object.body };
}

/**
 * The files of a deleted session: their rows went with it (foreign key), so nothing could open them, but the
 * bytes are the user's and were asked to be gone. Keys start with the session id, so one prefix finds them.
 */
export async function deleteSessionMedia(s: Services, sessionId: string): Promise<number> {
  return sweepBucket(s.media, () => true, { prefix: mediaKey(sessionId, '') });
}

/** Removes a file and its row (a send's own copy, when the send failed). */
export async function discardMedia(s: Services, sessionId: string, mediaId: string): Promise<void> {
  await s.media.delete(mediaKey(sessionId, mediaId));
  await s.db.delete(media).where(and(eq(media.id, mediaId), eq(media.sessionId, sessionId)));
}
