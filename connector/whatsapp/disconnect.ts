// What to do when a WhatsApp socket closes, decided from the close's status code alone.

/** The status codes Baileys reports in `lastDisconnect.error.output.statusCode`, with why each matters. */
export const WaStatusCode = {
  /** The device was unlinked (from the phone, by our own logout, or a removed device logging in): creds are dead. */
  loggedOut: 401,
  /** WhatsApp refuses this account (banned, or a forbidden client): retrying cannot help and risks more. */
  forbidden: 403,
  /** WhatsApp no longer accepts this client version (a <failure reason="405"/>): the same version never will. */
  clientTooOld: 405,
  /** Keep-alive silence or a QR that nobody scanned before its refs ran out. Baileys uses 408 for both. */
  timedOut: 408,
  /** The client was downgraded or the multi-device state mismatched; retrying the same creds will not help. */
  multideviceMismatch: 411,
  /** The server closed the stream or the TCP link dropped. */
  connectionClosed: 428,
  /** Another client opened a socket with the same creds; the newer one wins (see classifyDisconnect). */
  connectionReplaced: 440,
  /** A stream error with no known cause; usually transient server trouble. */
  badSession: 500,
  /** WhatsApp is temporarily unavailable. */
  unavailableService: 503,
  /** Sent right after pairing and on some server moves: open a new socket at once with the same creds. */
  restartRequired: 515,
} as const;

export type DisconnectAction =
  /** Open a new socket now, without backoff (the server asked for it). */
  | 'restart'
  /** Transient: reconnect with backoff, keeping the creds. */
  | 'reconnect'
  /** The login is gone: wipe the auth state and report LOGGED_OUT. */
  | 'logged-out'
  /** Do not retry: report FAILED and keep the creds for a human to decide. */
  | 'fail';

/**
 * Classifies a close. `undefined` (a close with no status, e.g. a thrown network error) is transient.
 * 440 (replaced) is treated as transient with backoff: the usual cause is our own connector restarting
 * while the old socket lingers, or a brief overlap during a deploy, and the backoff stops two live
 * connectors from kicking each other in a tight loop. Unknown codes are transient too, because giving up
 * on a session that could have recovered is worse than a few capped retries.
 */
export function classifyDisconnect(statusCode: number | undefined): DisconnectAction {
  switch (statusCode) {
    case WaStatusCode.restartRequired:
      return 'restart';
    case WaStatusCode.loggedOut:
      return 'logged-out';
    case WaStatusCode.forbidden:
    case WaStatusCode.clientTooOld:
    case WaStatusCode.multideviceMismatch:
      return 'fail';
    default:
      return 'reconnect';
  }
}

/** The reason a close is reported with: our own named reason where there is one, else WhatsApp's code and text. */
export function closeReason(statusCode: number | undefined, message: string | undefined, version?: readonly number[]): string {
  if (statusCode === WaStatusCode.clientTooOld) {
    const which = version ? ` ${version.join('.')}` : '';
    return `CLIENT_TOO_OLD: WhatsApp refused client version${which} (405); set WA_VERSION to a current version or WA_VERSION_FETCH=true`;
  }
  return `${statusCode ?? 'no status'}: ${message ?? 'closed'}`.slice(0, 500);
}
