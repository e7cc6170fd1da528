// One Durable Object per API key (named by the key's hash), one for the admin token and one per client
// address: each answers "who is this and may they go on?" in a single call. One object per key makes its
// rate limit exact; it caches the key's row so the hot path does not touch the database, and revocation
// tells it to forget. A rotation hands the old key's buckets to the new key's gate, so the limit belongs
// to the session's key lineage, not to one key. Failed authentication is counted per client address, and
// an address over its budget costs no database query for the keys it tries.
import { DurableObject } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { apiKeys, sessions } from '../../shared/db/schema.ts';
import { createDb } from '../db/client.ts';
import { readConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { RecordCache } from './record-cache.ts';
import { leastFull, takeToken, wouldAllow, type Bucket, type RateDecision } from './token-bucket.ts';

export type RateClass = 'send' | 'other';

/** The send and other buckets of a key, as a rotation hands them on. */
export type KeyBuckets = Partial<Record<RateClass, Bucket>>;

interface KeyRecord {
  keyId: string;
  sessionId: string;
  /** The connector holding the session when the record was read: the router's hint, checked by the hub. */
  connectorId: string | null;
  revoked: boolean;
  sendPerMinute: number;
  otherPerMinute: number;
}

/** Where a request came from and how many failed authentications that address may make per minute. */
export interface Client {
  address: string;
  failuresPerMinute: number;
}

export type Refusal =
  | { ok: false; reason: 'unknown' | 'revoked' | 'invalid' }
  | { ok: false; reason: 'throttled'; decision: RateDecision };

export type Admission = Refusal | { ok: true; keyId: string; sessionId: string; connectorId: string | null; decision: RateDecision };

export type AdminAdmission = Refusal | { ok: true; decision: RateDecision };

/** last_used_at is for humans; writing it more often than this would put a write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** A forget() lost to an error between revocation and this gate keeps a revoked key alive at most this long. */
const RECORD_MAX_AGE_MS = 5 * 60_000;
/** The admin gate keeps failure counts for at most this many addresses (the full ones are dropped first). */
const MAX_TRACKED_ADDRESSES = 10_000;

export class KeyGate extends DurableObject<Env> {
  private cache: RecordCache<KeyRecord | null> | undefined;
  private readonly buckets = new Map<string, Bucket>();
  private lastUsedWrittenAt = 0;

  async admitKey(keyHash: string, rateClass: RateClass, client: Client): Promise<Admission> {
    const cache = (this.cache ??= new RecordCache(() => this.load(keyHash), { maxAgeMs: RECORD_MAX_AGE_MS }));
    if (!cache.fresh()) {
      // A key this gate has not looked up yet: an address over its failure budget gets no database query.
      const budget = await this.addressGate(client).failureBudget(client.failuresPerMinute);
      if (!budget.allowed) return { ok: false, reason: 'throttled', decision: budget };
    }
    const record = await cache.get();
    if (!record || record.revoked) return this.addressGate(client).fail(client.failuresPerMinute, record ? 'revoked' : 'unknown');
    const limit = rateClass === 'send' ? record.sendPerMinute : record.otherPerMinute;
    const decision = this.take(rateClass, limit);
    if (decision.allowed) this.touch(record.keyId);
    return { ok: true, keyId: record.keyId, sessionId: record.sessionId, connectorId: record.connectorId, decision };
  }

  /**
   * The admin token's gate: `valid` is the Worker's comparison. An address over its failure budget is
   * refused even with the right token, so the answer never tells a guesser when a guess was right.
   */
  async admitAdmin(valid: boolean, rateClass: RateClass, perMinute: number, client: Client): Promise<AdminAdmission> {
    const key = `failures:${client.address}`;
    const now = Date.now();
    const budget = wouldAllow(this.buckets.get(key), client.failuresPerMinute, now);
    if (!budget.allowed) return { ok: false, reason: 'throttled', decision: budget };
    if (!valid) {
      this.pruneAddresses(now, client.failuresPerMinute);
      const { bucket, decision } = takeToken(this.buckets.get(key), client.failuresPerMinute, now);
      this.buckets.set(key, bucket);
      return decision.allowed ? { ok: false, reason: 'invalid' } : { ok: false, reason: 'throttled', decision };
    }
    return { ok: true, decision: this.take(rateClass, perMinute) };
  }

  /** A plain bucket for callers whose identity is not a key, e.g. anonymous session creation per address. */
  async admitFixed(name: string, limit: number, windowMs: number): Promise<RateDecision> {
    return this.take(name, limit, windowMs);
  }

  /** On an address's gate: whether it may still fail, without counting anything. */
  async failureBudget(perMinute: number): Promise<RateDecision> {
    return wouldAllow(this.buckets.get('failures'), perMinute, Date.now());
  }

  /** On an address's gate: counts one failed authentication. */
  async fail(perMinute: number, reason: 'unknown' | 'revoked'): Promise<Refusal> {
    const decision = this.take('failures', perMinute);
    return decision.allowed ? { ok: false, reason } : { ok: false, reason: 'throttled', decision };
  }

  /** Drops the cached row: the next request reads the database again (after revocation or a limit change). */
  async forget(): Promise<void> {
    this.cache?.forget();
  }

  /** Forgets the row (the key was revoked by a rotation) and hands over the buckets for the new key. */
  async retire(): Promise<KeyBuckets> {
    this.cache?.forget();
    return { send: this.buckets.get('send'), other: this.buckets.get('other') };
  }

  /** Continues the limits of the keys a rotation replaced: this key starts where they were, not full. */
  async inherit(from: KeyBuckets[]): Promise<void> {
    for (const rateClass of ['send', 'other'] as const) {
      const least = leastFull(from.flatMap((b) => (b[rateClass] ? [b[rateClass]] : [])));
      if (least) this.buckets.set(rateClass, least);
    }
  }

  private addressGate(client: Client) {
    return this.env.KEY_GATE.get(this.env.KEY_GATE.idFromName(`address:${client.address}`));
  }

  private take(name: string, limit: number, windowMs?: number): RateDecision {
    const { bucket, decision } = takeToken(this.buckets.get(name), limit, Date.now(), windowMs);
    this.buckets.set(name, bucket);
    return decision;
  }

  /** Keeps the admin gate's per-address counts bounded: addresses whose budget is full again carry no state. */
  private pruneAddresses(now: number, perMinute: number): void {
    if (this.buckets.size < MAX_TRACKED_ADDRESSES) return;
    for (const [name, bucket] of this.buckets) {
      if (name.startsWith('failures:') && wouldAllow(bucket, perMinute, now).remaining >= perMinute - 1) this.buckets.delete(name);
    }
  }

  private async load(keyHash: string): Promise<KeyRecord | null> {
    const db = createDb(readConfig(this.env));
    const [row] = await db
      .select({
        id: apiKeys.id,
        sessionId: apiKeys.sessionId,
        revokedAt: apiKeys.revokedAt,
        sendPerMinute: apiKeys.sendPerMinute,
        otherPerMinute: apiKeys.otherPerMinute,
        connectorId: sessions.connectorId,
      })
      .from(apiKeys)
      .leftJoin(sessions, eq(sessions.id, apiKeys.sessionId))
      .where(eq(apiKeys.keyHash, keyHash))
      .limit(1);
    if (!row) return null;
    return {
      keyId: row.id,
      sessionId: row.sessionId,
      connectorId: row.connectorId,
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
