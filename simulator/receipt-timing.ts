// When a contact's receipts reach the sender: WhatsApp forwards a phone's receipt the moment the phone sends
// it, which may be at once (the contact is looking at the chat) or later. The delays are drawn from a seeded
// generator so a run whose timing exposed a bug can be replayed with the same seed.

export type ReceiptTiming = {
  /** Receipt delays are drawn uniformly from 0 to this many ms; 0 sends every receipt at once. */
  maxDelayMs: number;
  seed: number;
};

/** The default upper bound: a phone online in the chat answers within a few hundred ms. */
export const DEFAULT_RECEIPT_DELAY_MS = 300;

/** A fresh seed, for runs that did not ask for one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

/** Successive receipt delays for one timing (mulberry32: small, fast, and the same for the same seed). */
export function receiptDelays({ maxDelayMs, seed }: ReceiptTiming): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    return Math.floor(unit * (maxDelayMs + 1));
  };
}
