// Sending: the one call that needs WhatsApp now. It goes through the hub to the session's connector; the
// connector reports the sent message as an event, and later receipts move its status forward.
import { normalisePhone } from '../../shared/phone.ts';
import type { Config } from '../config.ts';
import { ApiError } from '../errors.ts';
import type { OutgoingMessage, Recipient, SendMessageResult } from '../../shared/protocol.ts';
import { commandFailure } from './command-failure.ts';
import type { Services } from './ports.ts';

export interface SentText {
  messageId: string;
  remoteJid: string;
  timestamp: number;
}

function invalid(field: string, message: string): ApiError {
  return new ApiError('VALIDATION_FAILED', `Invalid request: ${field} ${message}`, { details: [{ field, message }] });
}

/** The recipient as a normalised phone number; `field` names the input in the error. */
export function parseRecipient(config: Config, raw: string, field: string): string {
  const phone = normalisePhone(raw, config.DEFAULT_COUNTRY_CODE);
  if (!phone) throw invalid(field, `must be a phone number of 7-15 digits (a leading 0 takes country code ${config.DEFAULT_COUNTRY_CODE})`);
  return phone;
}

export function checkMessageText(config: Config, text: string, field: string): void {
  if (!text.trim()) throw invalid(field, 'must not be blank');
  if (text.length > config.MAX_MESSAGE_LENGTH) throw invalid(field, `must be at most ${config.MAX_MESSAGE_LENGTH} characters`);
}

/** `to` is a normalised phone number (see parseRecipient). */
export async function sendText(s: Services, sessionId: string, to: string, text: string): Promise<SentText> {
  const outcome = await s.hub.command({ name: 'send.text', sessionId, to, text }, s.config.COMMAND_TIMEOUT_MS);
  if (!outcome.ok) throw commandFailure(outcome, sessionId);
  // The message's record in Turso comes from the connector's message.sent event, written to its outbox
  // before this answer: durable without a database write on the caller's time.
  if (!('remoteJid' in outcome.data)) throw new ApiError('SEND_FAILED', 'The connector answered the send with something else');
  return outcome.data;
}

/** Any kind of message to a phone (normalised) or a group; the answer names the kind that was sent. */
export async function sendMessage(
  s: Services,
  sessionId: string,
  to: Recipient,
  message: OutgoingMessage,
  replyTo?: string,
  mentions?: string[],
): Promise<SendMessageResult> {
  const command = { name: 'send.message' as const, sessionId, to, message, ...(replyTo ? { replyTo } : {}), ...(mentions ? { mentions } : {}) };
  // A media send includes the connector's upload of the file to WhatsApp: up to 100 MiB.
  const timeout = message.type === 'text' ? s.config.COMMAND_TIMEOUT_MS : Math.max(s.config.COMMAND_TIMEOUT_MS, s.config.MEDIA_COMMAND_TIMEOUT_MS);
  const outcome = await s.hub.command(command, timeout);
  if (!outcome.ok) throw commandFailure(outcome, sessionId);
  // As with sendText, the record of the message is the connector's message.sent event.
  if (!('type' in outcome.data)) throw new ApiError('SEND_FAILED', 'The connector answered the send with something else');
  return outcome.data;
}
