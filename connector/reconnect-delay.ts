// How long to wait before the next reconnect attempt: capped exponential backoff with full jitter, so a
// hub restart does not bring every connector (or every WhatsApp session) back in the same millisecond.

export type ReconnectDelayOptions = {
  /** Delay ceiling for the first attempt. */
  baseMs: number;
  /** No wait is ever longer than this. */
  maxMs: number;
};

export const DEFAULT_RECONNECT_DELAY: ReconnectDelayOptions = { baseMs: 1_000, maxMs: 60_000 };

/**
 * Delay before attempt number `attempt` (0 for the first retry): uniformly random in
 * [ceiling / 2, ceiling] where ceiling = min(maxMs, baseMs * 2^attempt). Half the ceiling is kept as a
 * floor so retries never degenerate into a tight loop.
 */
export function nextReconnectDelay(
  attempt: number,
  options: ReconnectDelayOptions = DEFAULT_RECONNECT_DELAY,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
