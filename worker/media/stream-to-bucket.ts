// Streams a body into R2 in bounded memory: parts of PART_BYTES go up as a multipart upload while the
// SHA-256 is computed on the way (workerd's DigestStream), so a 100 MiB file never sits whole in the isolate.
// Anything that goes wrong (too large, refused by `inspect`, the client gone) aborts the upload: no half object.
import { ApiError } from '../errors.ts';

/** R2's parts must be at least 5 MiB and, but for the last, all the same size. */
export const PART_BYTES = 8 * 1024 * 1024;
/** As many leading bytes as sniffing a file's type needs. */
export const HEAD_BYTES = 64;

export interface Streamed {
  size: number;
  sha256: string;
  /** The first HEAD_BYTES bytes (fewer for a smaller file). */
  head: Uint8Array;
}

export interface StreamOptions {
  maxBytes: number;
  /**
   * Sees the first bytes before anything is stored and gives the object's metadata (R2 fixes it when the
   * upload starts); throwing refuses the file.
   */
  describe: (head: Uint8Array) => R2PutOptions & R2MultipartOptions;
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function tooLarge(maxBytes: number): ApiError {
  return new ApiError('PAYLOAD_TOO_LARGE', `The file exceeds MAX_MEDIA_BYTES (${maxBytes} bytes)`);
}

export async function streamToBucket(bucket: R2Bucket, key: string, body: ReadableStream<Uint8Array>, options: StreamOptions): Promise<Streamed> {
  const digest = new crypto.DigestStream('SHA-256');
  const hasher = digest.getWriter();
  const reader = body.getReader();
  let part = new Uint8Array(PART_BYTES);
  let filled = 0;
  let size = 0;
  let head: Uint8Array | null = null;
  let upload: R2MultipartUpload | null = null;
  const parts: R2UploadedPart[] = [];
  let put: R2PutOptions & R2MultipartOptions = {};
  const inspect = (bytes: Uint8Array) => {
    head = bytes.slice(0, HEAD_BYTES);
    put = options.describe(head);
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > options.maxBytes) throw tooLarge(options.maxBytes);
      await hasher.write(value);
      let offset = 0;
      while (offset < value.byteLength) {
        const n = Math.min(PART_BYTES - filled, value.byteLength - offset);
        part.set(value.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (!head && filled >= HEAD_BYTES) inspect(part);
        if (filled === PART_BYTES) {
          upload ??= await bucket.createMultipartUpload(key, put);
          parts.push(await upload.uploadPart(parts.length + 1, part));
          part = new Uint8Array(PART_BYTES);
          filled = 0;
        }
      }
    }
    if (size === 0) throw new ApiError('VALIDATION_FAILED', 'The file is empty');
    if (!head) inspect(part.subarray(0, filled));
    await hasher.close();
    if (upload) {
      if (filled > 0) parts.push(await upload.uploadPart(parts.length + 1, part.subarray(0, filled)));
      await upload.complete(parts);
    } else {
      await bucket.put(key, part.subarray(0, filled), put);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    await (upload as R2MultipartUpload | null)?.abort().catch(() => {});
    throw error;
  }
  return { size, sha256: hex(await digest.digest), head: head! };
}
