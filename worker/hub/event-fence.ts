// Which events count from a connector that does not own the session (any more). A session moves between
// connectors (failover, drain, a move by hand) and the old owner may report late: events it had stored
// before the move come from its outbox when it is back. What it says about the session's live state (a
// status, a QR, a presence) would overwrite the new owner's and is dropped; what happened (a message in or
// out, a receipt, a group change) is a fact WhatsApp told it once and will not tell again, and is kept,
// once, by its event id.
import type { SessionEvent } from '../../shared/protocol.ts';

const LIVE_STATE = new Set<SessionEvent['name']>(['connection.update', 'qr', 'pairing.code', 'presence.update']);

/**
 * `owner` is the session's connector in Turso (null: none; undefined: no such session); `former` the
 * connectors it was moved away from (tenures.ts). A connector that never held the session is not heard.
 */
export function acceptedFrom(event: SessionEvent, sender: string, owner: string | null | undefined, former: readonly string[] = []): boolean {
  if (owner === undefined) return false;
  if (sender === owner) return true;
  return former.includes(sender) && !LIVE_STATE.has(event.name);
}
