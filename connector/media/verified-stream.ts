// Passes bytes through while counting and hashing them, and fails the stream at its end (or as soon as it
// runs long) when they are not the bytes announced. The last chunk is held back until the check passes, so
// a consumer never even receives all the announced bytes of a wrong file: an upload with a Content-Length
// (to the Worker) or an encryption (Baileys) cannot complete, and aborts instead.
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { MediaUnavailable } from './media-unavailable.ts';
import { paceMediaBytes, type Pacer } from './scavenge-pacer.ts';

export type Expected = {
  size: number;
  /** Hex SHA-256 of the bytes; unchecked when absent. */
  sha256?: string;
};

export type Verified = Transform & {
  /** Bytes and hex SHA-256 seen so far (final once the stream ended). */
  readonly seen: () => { size: number; sha256: string };
};

/** `pace` hears of every chunk, so the chunks of a large file are collected while they are few. */
export function verifiedStream(expected: Expected, pace: Pacer = paceMediaBytes): Verified {
  const hash = createHash('sha256');
  let size = 0;
  let digest: string | undefined;
  let held: Buffer | null = null;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      pace(chunk.length);
      if (size > expected.size) {
        callback(new MediaUnavailable(`media is longer than the announced ${expected.size} bytes`));
        return;
      }
      hash.update(chunk);
      const previous = held;
      held = chunk;
      callback(null, previous ?? undefined);
    },
    flush(callback) {
      digest = hash.digest('hex');
      if (size !== expected.size) callback(new MediaUnavailable(`media has ${size} bytes, ${expected.size} were announced`));
      else if (expected.sha256 && digest !== expected.sha256) callback(new MediaUnavailable('media SHA-256 differs from the announced one'));
      else callback(null, held ?? undefined);
    },
  }) as Verified;
  Object.defineProperty(stream, 'seen', { value: () => ({ size, sha256: digest ?? '' }) });
  return stream;
}
