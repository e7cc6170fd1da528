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

export const MessageStatus = z.enum(['pending', 'sent', 'delivered', 'read', 'failed', 'received']);
export type MessageStatus = z.infer<typeof MessageStatus>;

/** Webhook and live-stream event names. */
export const EventName = z.enum(['qr', 'connection.update', 'message.received', 'message.sent', 'message.status']);
export type EventName = z.infer<typeof EventName>;
