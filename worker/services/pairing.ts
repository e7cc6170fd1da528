// Pairing by code: the session's connector asks WhatsApp for a code the user types on the phone, instead of
// scanning a QR. Like a send, it needs the connector now, so it goes through the hub as a command.
import type { PairingCodeResult } from '../../shared/protocol.ts';
import { ApiError } from '../errors.ts';
import { commandFailure, type CommandRefusal } from './command-failure.ts';
import { parseRecipient } from './messaging.ts';
import type { Services } from './ports.ts';
import { findSession } from './sessions.ts';

/** Pairing has its own answers for a linked session and for one not yet showing a QR; the rest as any command. */
function failure(outcome: CommandRefusal, sessionId: string): ApiError {
  switch (outcome.code) {
    case 'ALREADY_LOGGED_IN':
      return new ApiError('ALREADY_LOGGED_IN', `Session ${sessionId} is linked already; log out first to link another phone`);
    case 'NOT_READY':
    case 'SESSION_NOT_FOUND':
    case 'SESSION_NOT_CONNECTED':
      return new ApiError('SESSION_NOT_READY', `Session ${sessionId} is not waiting for a phone yet (${outcome.message}); retry shortly`);
    default:
      return commandFailure(outcome, sessionId, 'WhatsApp did not give a pairing code');
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
