// What a session does on its open socket besides sending text: builds the content of the other kinds (quotes
// and reactions need the original, from the recent-message store), edits and revokes its own messages, marks
// chats read, shows typing, subscribes to presence and checks numbers. Errors are named for the condition
// (action-errors.ts) so commands.ts can answer with the right code.
import type { AnyMessageContent, WAMessage, WAMessageKey, WASocket } from '@whiskeysockets/baileys';
import type { ChatActionResult, ContactInfo, OutgoingMessage, SendTextResult } from '../../shared/protocol.ts';
import { EditWindowClosed, MessageNotFound, NotEditable } from './action-errors.ts';
import { extractText, phoneFromJid, timestampMs } from './events.ts';
import type { RecentMessage, RecentMessages } from './recent-messages.ts';

/** WhatsApp accepts an edit up to 15 minutes after the message was sent; its apps refuse later ones. */
export const EDIT_WINDOW_MS = 15 * 60_000;

export type ActionContext = {
  sock: WASocket;
  sessionId: string;
  recent: RecentMessages;
  now: () => number;
  /** The latest message received in the chat with this phone, if any since the process started. */
  lastReceived: (phone: string) => WAMessageKey | undefined;
};

async function find(c: ActionContext, messageId: string): Promise<RecentMessage> {
  const message = await c.recent.get(c.sessionId, messageId);
  if (!message) throw new MessageNotFound(`message ${messageId} is unknown to this session (or older than the message store keeps)`);
  return message;
}

function keyOf(message: RecentMessage): WAMessageKey {
  return { remoteJid: message.remoteJid, fromMe: message.fromMe, id: message.id };
}

/** The message to quote for `replyTo`, as Baileys' `quoted` option takes it. */
export async function quotedMessage(c: ActionContext, replyTo: string): Promise<WAMessage> {
  const original = await find(c, replyTo);
  return { key: keyOf(original), message: original.message };
}

/** Baileys' content for a kind other than text and media. */
export async function kindContent(c: ActionContext, message: Exclude<OutgoingMessage, { type: 'text' } | { media: unknown }>): Promise<AnyMessageContent> {
  switch (message.type) {
    case 'location':
      return {
        location: {
          degreesLatitude: message.latitude,
          degreesLongitude: message.longitude,
          ...(message.name ? { name: message.name } : {}),
          ...(message.address ? { address: message.address } : {}),
        },
      };
    case 'contacts':
      return {
        contacts: {
          displayName: message.contacts.length === 1 ? message.contacts[0]!.name : `${message.contacts.length} contacts`,
          contacts: message.contacts.map((card) => ({ displayName: card.name, vcard: card.vcard })),
        },
      };
    case 'reaction':
      return { react: { text: message.emoji, key: keyOf(await find(c, message.messageId)) } };
    case 'poll':
      return { poll: { name: message.name, values: message.options, selectableCount: message.selectableCount } };
  }
}

async function ownMessage(c: ActionContext, messageId: string, action: string): Promise<RecentMessage> {
  const message = await find(c, messageId);
  if (!message.fromMe) throw new NotEditable(`message ${messageId} was not sent by this session; only its own messages can be ${action}`);
  return message;
}

/** Edits the text of a text message this session sent, within WhatsApp's edit window. */
export async function editMessage(c: ActionContext, messageId: string, text: string): Promise<SendTextResult> {
  const original = await ownMessage(c, messageId, 'edited');
  if (extractText(original.message) === null) throw new NotEditable(`message ${messageId} is not a text message`);
  if (c.now() - original.at > EDIT_WINDOW_MS) throw new EditWindowClosed(`message ${messageId} was sent more than 15 minutes ago; WhatsApp no longer accepts edits to it`);
  const sent = await c.sock.sendMessage(original.remoteJid, { text, edit: keyOf(original) });
  // The stored copy follows the edit, so a later quote or edit starts from the new text; its time stays.
  await c.recent.put(c.sessionId, { ...original, message: { conversation: text } });
  return { messageId, remoteJid: original.remoteJid, timestamp: timestampMs(sent?.messageTimestamp, c.now()) };
}

/** Deletes a message this session sent, for everyone. */
export async function revokeMessage(c: ActionContext, messageId: string): Promise<SendTextResult> {
  const original = await ownMessage(c, messageId, 'deleted');
  const sent = await c.sock.sendMessage(original.remoteJid, { delete: keyOf(original) });
  return { messageId, remoteJid: original.remoteJid, timestamp: timestampMs(sent?.messageTimestamp, c.now()) };
}

async function phoneOf(c: ActionContext, jid: string): Promise<string | null> {
  if (jid.endsWith('@lid')) return phoneFromJid(await c.sock.signalRepository.lidMapping.getPNForLID(jid));
  return phoneFromJid(jid);
}

/** Marks a received message of the chat read (and with it those before), or the chat's latest one. */
export async function markRead(c: ActionContext, chat: string, messageId?: string): Promise<ChatActionResult> {
  let key: WAMessageKey | undefined;
  if (messageId) {
    const message = await find(c, messageId);
    if (message.fromMe || (await phoneOf(c, message.remoteJid)) !== chat) throw new MessageNotFound(`message ${messageId} is not a message received in the chat with ${chat}`);
    key = keyOf(message);
  } else {
    key = c.lastReceived(chat);
    if (!key) throw new MessageNotFound(`no message received from ${chat} is known to this connector since it started; give messageId`);
  }
  await c.sock.readMessages([key]);
  return { done: true, messageId: key.id! };
}

const CHAT_STATES = { typing: 'composing', recording: 'recording', paused: 'paused' } as const;

export async function setChatState(c: ActionContext, chat: string, state: keyof typeof CHAT_STATES): Promise<ChatActionResult> {
  await c.sock.sendPresenceUpdate(CHAT_STATES[state], `${chat}@s.whatsapp.net`);
  return { done: true };
}

export async function subscribePresence(c: ActionContext, chat: string): Promise<ChatActionResult> {
  await c.sock.presenceSubscribe(`${chat}@s.whatsapp.net`);
  return { done: true };
}

/**
 * Whether each number is on WhatsApp, with its LID and picture when it is. Baileys' onWhatsApp leaves out the
 * numbers that are not; here they are answered `exists: false`.
 */
export async function checkContacts(c: ActionContext, phones: string[]): Promise<ContactInfo[]> {
  const found = (await c.sock.onWhatsApp(...phones.map((p) => `+${p}`))) ?? [];
  const answers: ContactInfo[] = [];
  for (const phone of phones) {
    const hit = found.find((f) => phoneFromJid(f.jid) === phone);
    const jid = hit?.jid ?? `${phone}@s.whatsapp.net`;
    if (!hit?.exists) {
      answers.push({ exists: false, phone, jid });
      continue;
    }
    const lid = await c.sock.signalRepository.lidMapping.getLIDForPN(jid).catch(() => null);
    // No picture (404) or a hidden one (401): the number exists all the same.
    const pictureUrl = await c.sock.profilePictureUrl(jid, 'image').catch(() => undefined);
    answers.push({ exists: true, phone, jid, ...(lid ? { lid: lid.split('@')[0]!.split(':')[0]! } : {}), ...(pictureUrl ? { pictureUrl } : {}) });
  }
  return answers;
}
