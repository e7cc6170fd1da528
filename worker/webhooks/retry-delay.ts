// How long a failed webhook waits before its next try: doubling from a base, capped, so a backend that is
// down for minutes is not hammered and one that is down for hours still gets the event.

const MAX_DELAY_SECONDS = 3600;

/** `attempt` is the try that just failed, from 1. */
export function webhookRetryDelay(attempt: number, baseSeconds: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.round(baseSeconds * 2 ** Math.max(0, attempt - 1)));
}
