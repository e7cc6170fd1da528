// Session API keys: random 32-byte secrets shown once; only their SHA-256 is stored, with a short visible
// prefix so a user can tell keys apart.
import { and, eq, isNull } from 'drizzle-orm';
import { apiKeys } from '../../shared/db/schema.ts';
import type { Db } from '../db/client.ts';

const KEY_PREFIX = 'kbr_';
/** `kbr_` and 43 base64url characters (32 bytes). Anything else is refused before any lookup. */
export const API_KEY_PATTERN = /^kbr_[A-Za-z0-9_-]{43}$/;

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const encoder = new TextEncoder();

/** Runs on every authenticated request: a table lookup per byte, not a number-to-string conversion. */
export async function hashApiKey(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(key)));
  let hex = '';
  for (const byte of digest) hex += HEX[byte];
  return hex;
}

export interface KeyLimits {
  sendPerMinute: number;
  otherPerMinute: number;
}

/** Builds the insert for a new key; the caller runs it (usually in a batch with the session). */
export async function newApiKey(sessionId: string, limits: KeyLimits) {
  const key = KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
  const row = {
    id: crypto.randomUUID(),
    sessionId,
    keyHash: await hashApiKey(key),
    prefix: key.slice(0, KEY_PREFIX.length + 8),
    ...limits,
  };
  return { key, row };
}

/**
 * Builds the update that marks every live key of a session revoked, returning their hashes so their gates
 * can forget them. The caller runs it, in a batch with whatever must happen in the same transaction.
 */
export function revokeSessionKeys(db: Db, sessionId: string, now: number) {
  return db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.sessionId, sessionId), isNull(apiKeys.revokedAt)))
    .returning({ keyHash: apiKeys.keyHash });
}
