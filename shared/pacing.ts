// The anti-ban pacing policy of a session and the pure decisions made with it: when the next message may
// go, and how long to show "typing" before it. The connector applies it to queued and synchronous sends.
import { z } from 'zod';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');

/**
 * Defaults are deliberately slow: about 8 messages a minute at most, 1,000 a day once warmed up, and a new
 * number starting at 50 a day. Meta's own guidance for new numbers is a few hundred unique contacts a day;
 * the peers' guides say seconds between messages. Sends unpaced (`enabled: false`) are at the user's risk.
 */
export const PacingPolicy = z.object({
  /** false: no waiting at all (bulk tests, a number the user accepts the risk for). */
  enabled: z.boolean().default(true),
  /** The least time between two sends of the session. */
  minIntervalMs: z.number().int().min(0).max(HOUR_MS).default(5_000),
  /** Up to this much more, drawn at random for each send, so the gaps do not look machine-made. */
  jitterMs: z.number().int().min(0).max(HOUR_MS).default(3_000),
  /** Sends to one recipient in any 24 hours. */
  perRecipientPerDay: z.number().int().min(1).max(100_000).default(50),
  /** Sends of the session in any 24 hours, once warmed up. */
  perDay: z.number().int().min(1).max(1_000_000).default(1_000),
  /** A newly linked number's daily cap grows linearly from `startPerDay` to `perDay` over `days`. */
  warmup: z
    .object({ days: z.number().int().min(0).max(365).default(14), startPerDay: z.number().int().min(1).max(1_000_000).default(50) })
    .default({ days: 14, startPerDay: 50 }),
  /** "typing..." is shown to the recipient for msPerChar per character of text, at most maxMs, before each send. */
  typing: z
    .object({ msPerChar: z.number().int().min(0).max(1_000).default(40), maxMs: z.number().int().min(0).max(60_000).default(4_000) })
    .default({ msPerChar: 40, maxMs: 4_000 }),
  /** Optional: no sends between start and end (local time at `utcOffsetMinutes`); may wrap midnight. */
  quietHours: z
    .object({ start: clock, end: clock, utcOffsetMinutes: z.number().int().min(-720).max(840).default(0) })
    .nullable()
    .default(null),
});
export type PacingPolicy = z.infer<typeof PacingPolicy>;
export type PacingPolicyInput = z.input<typeof PacingPolicy>;

export const DEFAULT_PACING: PacingPolicy = PacingPolicy.parse({});

/** What a session sent lately (the last 24 hours is all that counts), and when its number was linked. */
export type SendHistory = {
  /** Each send's time and recipient, any order. */
  sends: readonly { at: number; to: string }[];
  /** When the number was linked (for the warm-up); null when unknown, which counts as warmed up. */
  linkedAt: number | null;
};

/** Why a send must wait; `null` when it may go now. */
export type PacingHold = 'interval' | 'recipient-cap' | 'daily-cap' | 'quiet-hours';

export type PacingDecision = { at: number; hold: PacingHold | null };

/** Today's cap of a number linked `linkedAt`: the warm-up's line from startPerDay to perDay. */
export function dailyCap(policy: PacingPolicy, linkedAt: number | null, now: number): number {
  const { days, startPerDay } = policy.warmup;
  if (linkedAt === null || days === 0 || startPerDay >= policy.perDay) return policy.perDay;
  const age = Math.max(0, now - linkedAt) / DAY_MS;
  if (age >= days) return policy.perDay;
  return Math.floor(startPerDay + ((policy.perDay - startPerDay) * age) / days);
}

/** The end of the quiet hours `at` falls in, or null when it falls in none. */
export function quietUntil(quiet: NonNullable<PacingPolicy['quietHours']>, at: number): number | null {
  const minutes = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  if (start === end) return null;
  const local = at + quiet.utcOffsetMinutes * 60_000;
  const dayStart = Math.floor(local / DAY_MS) * DAY_MS;
  const now = (local - dayStart) / 60_000;
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return null;
  // The end is later today, or tomorrow when the window wraps midnight and we are before it.
  const endLocal = dayStart + end * 60_000 + (start > end && now >= start ? DAY_MS : 0);
  return endLocal - quiet.utcOffsetMinutes * 60_000;
}

/**
 * The earliest time the next send, to `to`, may go: after the minimum interval (plus `random` x jitter) since
 * the last send, once the 24-hour windows of the recipient and daily caps have room, and outside quiet hours.
 * `random` is in [0, 1) and given by the caller, so the decision stays pure.
 */
export function nextSendAt(policy: PacingPolicy, history: SendHistory, to: string, now: number, random = 0): PacingDecision {
  if (!policy.enabled) return { at: now, hold: null };
  const recent = history.sends.filter((s) => s.at > now - DAY_MS).sort((a, b) => a.at - b.at);
  let at = now;
  let hold: PacingHold | null = null;
  const later = (t: number, why: PacingHold) => {
    if (t > at) {
      at = t;
      hold = why;
    }
  };
  const last = recent.at(-1);
  if (last) later(last.at + policy.minIntervalMs + Math.floor(random * policy.jitterMs), 'interval');
  // A full window frees a place when its oldest send turns 24 hours old.
  const cap = dailyCap(policy, history.linkedAt, now);
  if (recent.length >= cap) later(recent[recent.length - cap]!.at + DAY_MS, 'daily-cap');
  const toThem = recent.filter((s) => s.to === to);
  if (toThem.length >= policy.perRecipientPerDay) later(toThem[toThem.length - policy.perRecipientPerDay]!.at + DAY_MS, 'recipient-cap');
  if (policy.quietHours) {
    const until = quietUntil(policy.quietHours, at);
    if (until !== null) later(until, 'quiet-hours');
  }
  return { at, hold };
}

/** How long to show "typing..." before sending `text` (0 for none, e.g. a sticker or reaction). */
export function typingMs(policy: PacingPolicy, text: string): number {
  if (!policy.enabled || text.length === 0) return 0;
  return Math.min(policy.typing.maxMs, text.length * policy.typing.msPerChar);
}

/** Sends older than a day no longer count: what a history needs to keep. */
export function pruneHistory<T extends { at: number }>(sends: readonly T[], now: number): T[] {
  return sends.filter((s) => s.at > now - DAY_MS);
}
