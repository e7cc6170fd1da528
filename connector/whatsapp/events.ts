// Turns Baileys message payloads into our SessionEvents: incoming 1:1 texts, and the status names of messages
// we sent (message-statuses.ts decides which to report). Only text (conversation / extendedTextMessage) is mapped for now; media, reactions, polls,
// groups, broadcasts and newsletters are ignored.
import { createHash } from 'node:crypto';
import { jidDecode, normalizeMessageContent, type WAMessage, type WAMessageKey, type proto } from '@whiskeysockets/baileys';
import type { SessionEvent } from '../../shared/protocol.ts';

export type IncomingText = Extract<SessionEvent, { name: 'message.received' }>;
export type StatusChange = Extract<SessionEvent, { name: 'message.status' }>;

/**
 * `proto.WebMessageInfo.Status` numbers as Baileys reports them in `messages.update` and in the upsert of a
 * message it sent. PENDING (1) is its own "not yet acked by the server" and is not an event.
 */
export const WaMessageStatus = { error: 0, pending: 1, serverAck: 2, deliveryAck: 3, read: 4, played: 5 } as const;

export function messageStatusName(status: number | null | undefined): StatusChange['status'] | null {
  switch (status) {
    case WaMessageStatus.error:
      return 'failed';
    case WaMessageStatus.serverAck:
      return 'sent';
    case WaMessageStatus.deliveryAck:
      return 'delivered';
    // "played" is a voice note heard: for our purposes it was read.
    case WaMessageStatus.read:
    case WaMessageStatus.played:
      return 'read';
    default:
      return null;
  }
}

/** The text of a text message (also inside disappearing / view-once wrappers), or null for anything else. */
export function extractText(message: proto.IMessage | null | undefined): string | null {
  const content = normalizeMessageContent(message);
  if (!content) return null;
  if (typeof content.conversation === 'string' && content.conversation.length > 0) return content.conversation;
  const extended = content.extendedTextMessage?.text;
  return typeof extended === 'string' && extended.length > 0 ? extended : null;
}

/** A 1:1 chat partner as WhatsApp addressed it: a phone-number JID, a LID, or both. */
export type ChatParty = { pnJid: string | null; lidJid: string | null };

/**
 * Who a 1:1 message key refers to. WhatsApp may address a chat by phone number (`@s.whatsapp.net`) or by
 * LID (`@lid`); Baileys 7 puts the other form, when the server sent it, in `remoteJidAlt`. Null for groups,
 * status broadcasts, newsletters and anything else that is not a 1:1 chat.
 */
export function chatParty(key: WAMessageKey): ChatParty | null {
  const party: ChatParty = { pnJid: null, lidJid: null };
  for (const jid of [key.remoteJid, key.remoteJidAlt]) {
    const server = jid ? jidDecode(jid)?.server : undefined;
    if (server === 's.whatsapp.net') party.pnJid ??= jid ?? null;
    else if (server === 'lid') party.lidJid ??= jid ?? null;
  }
  const primary = key.remoteJid ? jidDecode(key.remoteJid)?.server : undefined;
  return primary === 's.whatsapp.net' || primary === 'lid' ? party : null;
}

/** Digits of a phone-number JID (`628123:4@s.whatsapp.net` -> `628123`), or null. */
export function phoneFromJid(jid: string | null | undefined): string | null {
  const decoded = jid ? jidDecode(jid) : undefined;
  if (!decoded || decoded.server !== 's.whatsapp.net' || !/^\d{7,15}$/.test(decoded.user)) return null;
  return decoded.user;
}

/** A LID without its device part (`123:4@lid` -> `123@lid`). */
export function bareLid(jid: string | null | undefined): string | undefined {
  const decoded = jid ? jidDecode(jid) : undefined;
  return decoded && decoded.server === 'lid' ? `${decoded.user}@lid` : undefined;
}

/** Seconds or a protobuf Long, as Baileys gives timestamps, to epoch ms. */
export function timestampMs(value: WAMessage['messageTimestamp'], fallback: number): number {
  const seconds = value === null || value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : fallback;
}

/**
 * The `message.received` event for an incoming 1:1 text, or null when the message is not one (ours,
 * a group, a stub such as a failed decryption, or not text). `phone` is the sender's number, already
 * resolved from a LID where needed, or null when WhatsApp named the sender by LID alone.
 */
export function incomingTextEvent(msg: WAMessage, phone: string | null, lid: string | undefined, now: number): IncomingText | null {
  if (msg.key.fromMe || !msg.key.id || msg.messageStubType) return null;
  const text = extractText(msg.message);
  if (text === null) return null;
  const event: IncomingText = {
    name: 'message.received',
    messageId: msg.key.id,
    from: phone,
    // WhatsApp caps texts at 65,536 characters too; the slice only guards the protocol's limit.
    text: text.slice(0, 65_536),
    timestamp: timestampMs(msg.messageTimestamp, now),
  };
  if (lid) event.fromLid = lid.slice(0, 64);
  if (msg.pushName) event.pushName = msg.pushName.slice(0, 256);
  return event;
}

/**
 * The outbox/event id of what an incoming message reports (`rcv` for the message itself, else the event's
 * name: a reaction, an edit, a vote): derived from the message, not random, because WhatsApp redelivers a
 * message it saw no receipt for, and the hub stores each event id once. Only what the stanza itself says goes
 * in (its chat and id), not the sender's number as this connector resolved it: a connector the session moved
 * to may resolve a LID it had no mapping for yet, and its copy must keep the id.
 */
export function messageEventId(sessionId: string, key: WAMessage['key'], kind = 'rcv'): string {
  return `${kind}-${createHash('sha256').update(`${sessionId}\n${key.remoteJid ?? ''}\n${key.id ?? ''}`).digest('hex').slice(0, 40)}`;
}
