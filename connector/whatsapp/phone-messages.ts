// Messages the user typed on the phone, which WhatsApp syncs to the session as `fromMe` messages: reported
// as message.sent with source "phone", so the whole conversation reaches the API, not only what it sent.
import { createHash } from 'node:crypto';
import type { WAMessage } from '@whiskeysockets/baileys';
import { extractText, timestampMs } from './events.ts';
import type { SessionEvent } from '../../shared/protocol.ts';

export type PhoneSent = Extract<SessionEvent, { name: 'message.sent' }>;

/** The message.sent event of a synced phone message to `to`, or null when it is not a text (or a stub). */
export function phoneSentEvent(msg: WAMessage, to: string, now: number): PhoneSent | null {
  if (!msg.key.fromMe || !msg.key.id || msg.messageStubType) return null;
  const text = extractText(msg.message);
  if (text === null) return null;
  return { name: 'message.sent', messageId: msg.key.id, to, text: text.slice(0, 65_536), timestamp: timestampMs(msg.messageTimestamp, now), source: 'phone' };
}

/** Derived, not random: WhatsApp redelivers a synced message it saw no receipt for, and the hub stores an id once. */
export function phoneSentEventId(sessionId: string, messageId: string): string {
  return `phn-${createHash('sha256').update(`${sessionId}\n${messageId}`).digest('hex').slice(0, 40)}`;
}
