// What to do when a WhatsApp socket closes, decided from the close's status code alone, and which of our
// reason codes the status after it shows.
import type { StatusReasonCode } from '../../shared/status.ts';

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

/** What a close tells about its cause: Baileys' status code, and whether the network failed under it. */
export type CloseCause = { statusCode: number | undefined; networkError: boolean };

/**
 * Reads a close's cause from Baileys' `lastDisconnect.error`. Baileys wraps a WebSocket error (refused,
 * DNS, reset, TLS) in a 408 or 500 Boom whose `data` is the Node error; its `E...` code is what tells a
 * network failure from WhatsApp's own 408.
 */
export function closeCause(error: unknown): CloseCause {
  const e = error as { output?: { statusCode?: number }; data?: { code?: unknown } } | undefined;
  const code = e?.data?.code;
  return { statusCode: e?.output?.statusCode, networkError: typeof code === 'string' && code.startsWith('E') };
}

/**
 * Our reason code for a close, for the status that follows it. A network error or no status code means
 * WhatsApp never answered: it is unreachable from here. A 408 while a QR was showing is a QR round nobody
 * scanned, which the session counts (see QR_MAX_ROUNDS).
 */
export function reasonForClose(cause: CloseCause, showingQr: boolean): StatusReasonCode {
  if (cause.networkError) return 'WHATSAPP_UNREACHABLE';
  switch (cause.statusCode) {
    case undefined:
      return 'WHATSAPP_UNREACHABLE';
    case WaStatusCode.restartRequired:
      return 'CONNECTING';
    case WaStatusCode.loggedOut:
      return 'LOGGED_OUT_BY_PHONE';
    case WaStatusCode.forbidden:
      return 'BANNED';
    case WaStatusCode.multideviceMismatch:
      return 'CLIENT_REJECTED';
    case WaStatusCode.clientTooOld:
      return 'CLIENT_TOO_OLD';
    case WaStatusCode.connectionReplaced:
      return 'REPLACED';
    case WaStatusCode.timedOut:
      return showingQr ? 'QR_TIMEOUT' : 'CONNECTION_LOST';
    default:
      return 'CONNECTION_LOST';
  }
}
