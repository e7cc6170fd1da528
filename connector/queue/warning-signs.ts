// WhatsApp's warning signs that a number sends too much or may not send, read from what Baileys gives us, in
// our own terms. Each pauses the session's outbound queue (queue-runner.ts) and becomes a session.warning.
// What is known of each signal:
// - 463 error ack: Baileys names it "account restricted or missing privacy token" (SERVER_ERROR_CODES) and
//   also its NACK reason SenderReachoutTimelocked; retrying counts as another reach-out.
// - reach-out time lock: a `xwa2_notify_account_reachout_timelock` mex notification, which Baileys turns into
//   connection.update `reachoutTimeLock {isActive, timeEnforcementEnds}`.
// - rate-overlimit: WhatsApp answers queries with error 429 "rate-overlimit" (Baileys throws it with data 429).
//   For a message stanza the exact signal is not documented; an error ack with code 429 is read the same way,
//   and nothing here depends on it being the only form.
import type { SendFailure } from '../../shared/protocol.ts';

export type SessionWarning = {
  code: 'RATE_LIMITED' | 'REACH_OUT_LOCKED' | 'ACCOUNT_RESTRICTED';
  message: string;
  /** When WhatsApp says the limit ends (epoch ms). */
  until?: number;
};

/** A refused message (its error ack) that is a warning sign. */
export function warningOfFailure(failure: SendFailure): SessionWarning | null {
  if (failure.code === 'ACCOUNT_RESTRICTED') return { code: 'ACCOUNT_RESTRICTED', message: failure.message };
  if (failure.code === 'RATE_LIMITED') return { code: 'RATE_LIMITED', message: failure.message };
  return null;
}

/** An error a send threw that is a warning sign (a query answered 429 rate-overlimit). */
export function warningOfSendError(err: unknown): SessionWarning | null {
  const data = (err as { data?: unknown } | null)?.data;
  const text = err instanceof Error ? err.message : String(err);
  if (data === 429 || /rate-overlimit/i.test(text)) return { code: 'RATE_LIMITED', message: `WhatsApp answered rate-overlimit (429): ${text}`.slice(0, 500) };
  return null;
}

/** Baileys' connection.update reachoutTimeLock; null when the lock was lifted. */
export function warningOfReachoutLock(lock: { isActive?: boolean; timeEnforcementEnds?: Date | undefined }): SessionWarning | null {
  if (!lock.isActive) return null;
  const until = lock.timeEnforcementEnds?.getTime();
  return {
    code: 'REACH_OUT_LOCKED',
    message: 'WhatsApp has locked this number from reaching out to new contacts for a while',
    ...(until !== undefined && Number.isFinite(until) ? { until } : {}),
  };
}
