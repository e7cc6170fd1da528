// One Durable Object per API key (named by the key's hash, plus one for the admin token): it answers "who is
// this and may they go on?" in a single call. Being one object per key makes the rate limit exact, and it
// caches the key's row so the hot path does not touch the database; revocation tells it to forget.
import { DurableObject } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { apiKeys } from '../../shared/db/schema.ts';
import { createDb } from '../db/client.ts';
import { readConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { takeToken, type Bucket, type RateDecision } from './token-bucket.ts';

export type RateClass = 'send' | 'other';

interface KeyRecord {
  keyId: string;
  sessionId: string;
  revoked: boolean;
  sendPerMinute: number;
  otherPerMinute: number;
}

export type Admission =
  | { ok: false; reason: 'unknown' | 'revoked' }
  | { ok: true; keyId: string; sessionId: string; decision: RateDecision };

/** last_used_at is for humans; writing it more often than this would put a write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export class KeyGate extends DurableObject<Env> {
  /** undefined: not loaded yet; null: no such key. */
  private record: KeyRecord | null | undefined;
  private readonly buckets = new Map<RateClass, Bucket>();
  private lastUsedWrittenAt = 0;

  async admitKey(keyHash: string, rateClass: RateClass): Promise<Admission> {
    if (this.record === undefined) this.record = await this.load(keyHash);
    const record = this.record;
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.revoked) return { ok: false, reason: 'revoked' };
    const limit = rateClass === 'send' ? record.sendPerMinute : record.otherPerMinute;
    const decision = this.take(rateClass, limit);
    if (decision.allowed) this.touch(record.keyId);
    return { ok: true, keyId: record.keyId, sessionId: record.sessionId, decision };
  }

  /** Rate limiting for callers whose identity is checked elsewhere (the admin token). */
  async admitFixed(rateClass: RateClass, perMinute: number): Promise<RateDecision> {
    return this.take(rateClass, perMinute);
  }

  /** Drops the cached row: the next request reads the database again (after revocation or a limit change). */
  async forget(): Promise<void> {
    this.record = undefined;
  }

  private take(rateClass: RateClass, perMinute: number): RateDecision {
    const { bucket, decision } = takeToken(this.buckets.get(rateClass), perMinute, Date.now());
    this.buckets.set(rateClass, bucket);
    return decision;
  }

  private async load(keyHash: string): Promise<KeyRecord | null> {
    const db = createDb(readConfig(this.env));
    const row = await db.query.apiKeys.findFirst({ where: eq(apiKeys.keyHash, keyHash) });
    if (!row) return null;
    return {
      keyId: row.id,
      sessionId: row.sessionId,
      revoked: row.revokedAt !== null,
      sendPerMinute: row.sendPerMinute,
      otherPerMinute: row.otherPerMinute,
    };
  }

  private touch(keyId: string): void {
    const now = Date.now();
    if (now - this.lastUsedWrittenAt < LAST_USED_RESOLUTION_MS) return;
    this.lastUsedWrittenAt = now;
    const db = createDb(readConfig(this.env));
    this.ctx.waitUntil(
      db
        .update(apiKeys)
        .set({ lastUsedAt: now })
        .where(eq(apiKeys.id, keyId))
        .then(
          () => undefined,
          (error: unknown) => console.warn('could not record last_used_at', error),
        ),
    );
  }
}
