// The reason the hub keeps with a status (snapshot and Turso): the connector's, or, before its connector has
// said why (right after an API call, on a reattach, or from a connector too old to send codes), a presumed one.
import type { SessionEvent } from '../../shared/protocol.ts';
import type { SessionStatus, StatusReason, StatusReasonCode } from '../../shared/status.ts';

const PRESUMED: Record<Exclude<SessionStatus, 'WORKING'>, { code: StatusReasonCode; message: string }> = {
  STARTING: { code: 'CONNECTING', message: 'waiting for the connector to connect to WhatsApp' },
  SCAN_QR_CODE: { code: 'WAITING_FOR_SCAN', message: 'waiting for a phone to scan the QR' },
  STOPPED: { code: 'STOPPED_BY_USER', message: 'stopped on request' },
  LOGGED_OUT: { code: 'LOGIN_RESET', message: 'logged out on request' },
  FAILED: { code: 'CONNECTION_LOST', message: 'the connector gave up on this session' },
};

/** Null for WORKING, which needs no reason. */
export function presumedReason(status: SessionStatus, at: number): StatusReason | null {
  return status === 'WORKING' ? null : { ...PRESUMED[status], at };
}

/** The reason a connection.update gives its status; null for WORKING. */
export function eventReason(event: Extract<SessionEvent, { name: 'connection.update' }>, at: number): StatusReason | null {
  if (event.status === 'WORKING') return null;
  return event.code ? { code: event.code, message: event.reason ?? '', at } : presumedReason(event.status, at);
}
