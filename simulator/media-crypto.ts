// WhatsApp's media encryption, streamed: keys from HKDF-SHA256(mediaKey, info per type), AES-256-CBC, and a
// 10-byte HMAC-SHA256 over iv‖ciphertext appended to the file (Baileys Utils/messages-media.js getMediaKeys,
// encryptedStream). Baileys checks neither MAC nor hashes on download, so the simulator checks all of them.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

const MAC_LENGTH = 10;

/** HKDF info per type (Defaults MEDIA_HKDF_KEY_MAPPING): a sticker is an image, a GIF a video, a voice note audio. */
const KEY_INFO: Record<MediaType, string> = {
  image: 'WhatsApp Image Keys',
  sticker: 'WhatsApp Image Keys',
  video: 'WhatsApp Video Keys',
  audio: 'WhatsApp Audio Keys',
  document: 'WhatsApp Document Keys',
};

export type MediaKeys = { iv: Buffer; cipherKey: Buffer; macKey: Buffer };

export function mediaKeys(mediaKey: Uint8Array, type: MediaType): MediaKeys {
  const okm = Buffer.from(hkdfSync('sha256', mediaKey, Buffer.alloc(0), KEY_INFO[type], 112));
  return { iv: okm.subarray(0, 16), cipherKey: okm.subarray(16, 48), macKey: okm.subarray(48, 80) };
}

/** The hashes and length a media message announces. */
export type MediaDigest = { fileSha256: Buffer; fileEncSha256: Buffer; fileLength: number };

/** Encrypts `plain` chunk by chunk, handing each piece of the file (ciphertext, then MAC) to `write`. */
export async function encryptMedia(
  plain: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  keys: MediaKeys,
  write: (chunk: Buffer) => Promise<void>,
): Promise<MediaDigest> {
  const cipher = createCipheriv('aes-256-cbc', keys.cipherKey, keys.iv);
  const mac = createHmac('sha256', keys.macKey).update(keys.iv);
  const plainHash = createHash('sha256');
  const encHash = createHash('sha256');
  let fileLength = 0;
  const out = async (chunk: Buffer) => {
    if (chunk.length === 0) return;
    mac.update(chunk);
    encHash.update(chunk);
    await write(chunk);
  };
  for await (const chunk of plain) {
    fileLength += chunk.length;
    plainHash.update(chunk);
    await out(cipher.update(chunk));
  }
  await out(cipher.final());
  const tag = mac.digest().subarray(0, MAC_LENGTH);
  encHash.update(tag);
  await write(tag);
  return { fileSha256: plainHash.digest(), fileEncSha256: encHash.digest(), fileLength };
}

/** What decrypting a media file showed: the plaintext's size and SHA-256, or the first check that failed. */
export type MediaCheck = { ok: true; size: number; sha256: string } | { ok: false; error: string };

/**
 * Reads an encrypted media file as it streams, holding back only its last 10 bytes (the MAC), and checks
 * it against the message the way WhatsApp's clients do: file hash, MAC, padding, plaintext hash, length.
 * `plain` receives the decrypted bytes, if the caller wants them.
 */
export async function decryptMedia(
  file: AsyncIterable<Uint8Array>,
  keys: MediaKeys,
  expected: MediaDigest,
  plain: (chunk: Buffer) => void = () => undefined,
): Promise<MediaCheck> {
  const decipher = createDecipheriv('aes-256-cbc', keys.cipherKey, keys.iv);
  const mac = createHmac('sha256', keys.macKey).update(keys.iv);
  const encHash = createHash('sha256');
  const plainHash = createHash('sha256');
  let size = 0;
  let held = Buffer.alloc(0);
  const take = (chunk: Buffer) => {
    if (chunk.length === 0) return;
    size += chunk.length;
    plainHash.update(chunk);
    plain(chunk);
  };
  for await (const chunk of file) {
    encHash.update(chunk);
    const joined = held.length ? Buffer.concat([held, chunk]) : Buffer.from(chunk);
    const body = joined.subarray(0, Math.max(0, joined.length - MAC_LENGTH));
    held = joined.subarray(body.length);
    mac.update(body);
    take(decipher.update(body));
  }
  if (!encHash.digest().equals(expected.fileEncSha256)) return { ok: false, error: 'the file does not match fileEncSha256' };
  if (held.length < MAC_LENGTH || !timingSafeEqual(held, mac.digest().subarray(0, MAC_LENGTH))) {
    return { ok: false, error: 'the MAC does not match the mediaKey' };
  }
  try {
    take(decipher.final());
  } catch {
    return { ok: false, error: 'the file does not decrypt (bad padding)' };
  }
  const sha256 = plainHash.digest();
  if (!sha256.equals(expected.fileSha256)) return { ok: false, error: 'the decrypted bytes do not match fileSha256' };
  if (size !== expected.fileLength) return { ok: false, error: `the decrypted size ${size} is not fileLength ${expected.fileLength}` };
  return { ok: true, size, sha256: sha256.toString('hex') };
}

/** The upload token: base64url of the file's SHA-256, unpadded (Baileys encodeBase64EncodedStringForUpload). */
export function uploadToken(fileEncSha256: Uint8Array): string {
  return Buffer.from(fileEncSha256).toString('base64url');
}
