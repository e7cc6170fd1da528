// Which events count from a connector that does not own the session (any more). A session moves between
// connectors (failover, drain, a move by hand) and the old owner may report late: events it had stored
// before the move come from its outbox when it is back, at its own hub. What it says about the session's
// live state (a status, a QR, a presence) would overwrite the new owner's and is dropped; what happened (a
// message in or out, a receipt, a group change) is a fact WhatsApp told it once and will not tell again, and
// is kept, once, by its event id. Who owned a session before lives in Turso (sessions.former_connectors), so
// every hub judges alike.
import type { SessionEvent } from '../../shared/protocol.ts';

const LIVE_STATE = new Set<SessionEvent['name']>(['connection.update', 'qr', 'pairing.code', 'presence.update']);
/** Former owners remembered per session; a session moved more often than this between acks is unheard of. */
const FORMER_KEPT = 4;

/**
 * `owner` is the session's connector in Turso (null: none; undefined: no such session); `former` the
 * connectors it was moved away from. A connector that never held the session is not heard.
 */
export function acceptedFrom(event: SessionEvent, sender: string, owner: string | null | undefined, former: readonly string[] = []): boolean {
  if (owner === undefined) return false;
  if (sender === owner) return true;
  return former.includes(sender) && !LIVE_STATE.has(event.name);
}

/** The column as stored; anything unreadable counts as no former owner. */
export function formerList(column: string | null | undefined): string[] {
  try {
    const parsed: unknown = JSON.parse(column ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

/** The column after the session moved from `from` to `to`. */
export function formerAfterMove(column: string | null | undefined, from: string, to: string): string {
  return JSON.stringify([from, ...formerList(column).filter((id) => id !== from && id !== to)].slice(0, FORMER_KEPT));
}
