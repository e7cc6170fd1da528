// Our own session status and event names. The connector maps Baileys' states onto these; nothing
// Baileys-specific crosses into the API, the hub or webhooks.
import { z } from 'zod';

export const SessionStatus = z.enum([
  'STOPPED', // not running: never started, or stopped on purpose
  'STARTING', // a socket is being opened
  'SCAN_QR_CODE', // waiting for a phone to scan the current QR
  'WORKING', // logged in and connected
  'LOGGED_OUT', // the device was unlinked (from the phone or by logout); needs a new QR
  'FAILED', // gave up after repeated errors; see the event's reason
]);
export type SessionStatus = z.infer<typeof SessionStatus>;

/**
 * Why a session is not WORKING, in our words (README, "Statuses and reasons"). The connector picks the code;
 * the message carries the detail (e.g. the network error), and the hub adds when it happened.
 */
export const StatusReasonCode = z.enum([
  'CONNECTING', // a socket to WhatsApp is being opened (first attempt, or the restart WhatsApp asks for after pairing)
  'WAITING_FOR_SCAN', // not linked: a QR is showing (or a pairing code is waiting) for the phone
  'WHATSAPP_UNREACHABLE', // WhatsApp could not be reached (network error); retrying with backoff
  'CONNECTION_LOST', // WhatsApp closed the connection or stopped answering; retrying with backoff
  'REPLACED', // another client took over this login's connection; retrying with backoff
  'QR_TIMEOUT', // QR_MAX_ROUNDS QR rounds went unscanned; stopped until started again
  'LOGGED_OUT_BY_PHONE', // the device was unlinked on the phone (or by WhatsApp)
  'LOGIN_RESET', // the login was forgotten on request (logout or reset)
  'PHONE_MISMATCH', // a phone other than the session's own number linked; it was unlinked again
  'BANNED', // WhatsApp refuses this account
  'CLIENT_REJECTED', // WhatsApp refuses this client (multi-device mismatch); retrying cannot help
  'CLIENT_TOO_OLD', // WhatsApp refuses this client's version (405): set WA_VERSION or WA_VERSION_FETCH=true
  'CONNECTOR_OFFLINE', // no connector holding the session is attached to the hub
  'LEASE_LOST', // the connector could not renew its lease with the hub and closed the socket so another may take over
  'STOPPED_BY_USER', // stopped on request
  'NOT_STARTED', // the session has not been started by a connector yet
]);
export type StatusReasonCode = z.infer<typeof StatusReasonCode>;

/** A status's reason as the API shows it: our code, the detail, and when it was given (epoch ms). */
export const StatusReason = z.object({ code: StatusReasonCode, message: z.string(), at: z.number().int() });
export type StatusReason = z.infer<typeof StatusReason>;

// `queued`: accepted into the session's durable outbound queue, not sent yet; `cancelled`: taken out of the
// queue on request before it was sent.
export const MessageStatus = z.enum(['pending', 'sent', 'delivered', 'read', 'failed', 'received', 'queued', 'cancelled']);
export type MessageStatus = z.infer<typeof MessageStatus>;

/** Webhook and live-stream event names. */
export const EventName = z.enum([
  'qr',
  'pairing.code',
  'connection.update',
  'message.received',
  'message.sent',
  'message.status',
  'message.reaction',
  'message.edited',
  'message.revoked',
  'poll.vote',
  'presence.update',
  'group.joined',
  'group.left',
  'group.updated',
  'group.participants',
  'session.warning',
]);
export type EventName = z.infer<typeof EventName>;
