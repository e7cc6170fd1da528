// The group metadata one session keeps in memory, so a send to a group costs no w:g2 query (Baileys asks
// through `cachedGroupMetadata`, and queries WhatsApp on every send without it). Bounded by groups and by
// members, least recently used first out.
import type { GroupMetadata } from '@whiskeysockets/baileys';

/**
 * The bound per session: 50 groups of 256 members (12,800 members), about 3 MB of participant objects
 * (see README, Groups). A busier session refetches on a miss, which is what Baileys does without a cache.
 */
export const GROUP_CACHE_LIMITS = { groups: 50, members: 50 * 256 } as const;

export class GroupMetadataCache {
  readonly #limits: { groups: number; members: number };
  /** Map order is recency: a hit moves the entry to the end. */
  readonly #entries = new Map<string, GroupMetadata>();
  #members = 0;

  constructor(limits: { groups: number; members: number } = GROUP_CACHE_LIMITS) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#entries.size;
  }

  get members(): number {
    return this.#members;
  }

  get(jid: string): GroupMetadata | undefined {
    const entry = this.#entries.get(jid);
    if (!entry) return undefined;
    this.#entries.delete(jid);
    this.#entries.set(jid, entry);
    return entry;
  }

  set(metadata: GroupMetadata): void {
    this.delete(metadata.id);
    // A group larger than the whole bound is not kept at all; it would evict every other group for nothing.
    if (metadata.participants.length > this.#limits.members) return;
    this.#entries.set(metadata.id, metadata);
    this.#members += metadata.participants.length;
    for (const [jid, entry] of this.#entries) {
      if (this.#entries.size <= this.#limits.groups && this.#members <= this.#limits.members) break;
      this.#entries.delete(jid);
      this.#members -= entry.participants.length;
    }
  }

  /** Forgets a group whose members or settings changed; the next send or read fetches it again. */
  delete(jid: string): void {
    const entry = this.#entries.get(jid);
    if (!entry) return;
    this.#entries.delete(jid);
    this.#members -= entry.participants.length;
  }

  clear(): void {
    this.#entries.clear();
    this.#members = 0;
  }
}
