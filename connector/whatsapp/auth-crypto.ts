// Encryption at rest for what the connector stores (WhatsApp auth state, the event outbox): AES-256-GCM with
// a random IV per value and the row's key as additional data, so a stored value only opens under the key it
// was written for (no swapping rows).
import { createCipheriv, createDecipheriv, createSecretKey, randomFillSync, type KeyObject } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Reads AUTH_STATE_KEY: 32 bytes given as 64 hex digits or as base64 (standard or url-safe). */
export function parseAuthStateKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === KEY_BYTES ? key : null;
}

// Every stored write seals a value (a send seals several), and both of these showed in the connector's
// profile: a raw key is turned into a KeyObject by each cipher, and each IV was a call into the CSPRNG.
const keyObjects = new WeakMap<Buffer, KeyObject>();
function keyObjectOf(key: Buffer): KeyObject {
  let object = keyObjects.get(key);
  if (!object) keyObjects.set(key, (object = createSecretKey(key)));
  return object;
}

/** CSPRNG bytes drawn a page at a time and handed out once each: IVs as random as one call per value. */
const ivPool = Buffer.alloc(IV_BYTES * 256);
let ivAt = ivPool.length;
function randomIv(): Buffer {
  if (ivAt === ivPool.length) {
    randomFillSync(ivPool);
    ivAt = 0;
  }
  // A copy: the pool is refilled in place once used up.
  const iv = Buffer.from(ivPool.subarray(ivAt, ivAt + IV_BYTES));
  ivAt += IV_BYTES;
  return iv;
}

/** Encrypts `plaintext` for the row `rowKey`: iv || ciphertext || tag. */
export function sealValue(key: Buffer, rowKey: string, plaintext: string): Buffer {
  const iv = randomIv();
  const cipher = createCipheriv('aes-256-gcm', keyObjectOf(key), iv);
  cipher.setAAD(Buffer.from(rowKey, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** Decrypts a value sealed for `rowKey`; throws when the key, the row or the bytes do not match. */
export function openValue(key: Buffer, rowKey: string, sealed: Uint8Array): string {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('sealed auth value is truncated');
  const bytes = Buffer.from(sealed);
  const decipher = createDecipheriv('aes-256-gcm', keyObjectOf(key), bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(rowKey, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
}
