// Pairing by code: the session's connector asks WhatsApp for a code the user types on the phone, instead of
// scanning a QR. Like a send, it needs the connector now, so it goes through the hub as a command.
import type { PairingCodeResult } from '../../shared/protocol.ts';
import { ApiError } from '../errors.ts';
import type { CommandOutcome } from '../hub/hub.ts';
import { parseRecipient } from './messaging.ts';
import type { Services } from './ports.ts';
import { findSession } from './sessions.ts';

function failure(outcome: Extract<CommandOutcome, { ok: false }>, sessionId: string): ApiError {
  switch (outcome.code) {
    case 'ALREADY_LOGGED_IN':
      return new ApiError('ALREADY_LOGGED_IN', `Session ${sessionId} is linked already; log out first to link another phone`);
    case 'NOT_READY':
    case 'SESSION_NOT_FOUND':
    case 'SESSION_NOT_CONNECTED':
      return new ApiError('SESSION_NOT_READY', `Session ${sessionId} is not waiting for a phone yet (${outcome.message}); retry shortly`);
    case 'CONNECTOR_OFFLINE':
    case 'SHUTTING_DOWN':
      return new ApiError('CONNECTOR_OFFLINE', 'The WhatsApp connector is not reachable; retry shortly');
    case 'CONNECTOR_TIMEOUT':
      return new ApiError('CONNECTOR_TIMEOUT', 'The WhatsApp connector did not answer in time');
    case 'SEND_FAILED':
    case 'INVALID_COMMAND':
    case 'MESSAGE_NOT_FOUND':
    case 'MEDIA_UNAVAILABLE':
    case 'EDIT_WINDOW_CLOSED':
    case 'NOT_EDITABLE':
    case 'GROUP_NOT_FOUND':
    case 'NOT_GROUP_ADMIN':
    case 'INVITE_INVALID':
      return new ApiError('SEND_FAILED', `WhatsApp did not give a pairing code: ${outcome.message}`);
  }
}

/** `rawPhone` as the user typed it; a code for it comes back and goes out as a pairing.code event. */
export async function requestPairingCode(s: Services, sessionId: string, rawPhone: string): Promise<PairingCodeResult> {
  const phone = parseRecipient(s.config, rawPhone, 'phone');
  // A code for another number would only link a device the connector must unlink again (PHONE_MISMATCH).
  const expected = (await findSession(s, sessionId))?.expectedPhone;
  if (expected && expected !== phone) {
    const message = `must be this session's number, ${expected}`;
    throw new ApiError('VALIDATION_FAILED', `Invalid request: phone ${message}`, { details: [{ field: 'phone', message }] });
  }
  const outcome = await s.hub.command({ name: 'session.pair', sessionId, phone }, s.config.COMMAND_TIMEOUT_MS);
  if (!outcome.ok) throw failure(outcome, sessionId);
  if (!('code' in outcome.data)) throw new ApiError('SEND_FAILED', 'The connector answered the pairing request with something else');
  return outcome.data;
}
