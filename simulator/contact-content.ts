// What a contact can send besides plain text, as the control API describes it, built into the proto.Message
// a WhatsApp phone would send: replies quote the original, reactions/edits/revokes/votes name it by key
// from the contact's side of the chat, votes are encrypted under the poll's secret (poll-votes.ts).
import { randomBytes } from 'node:crypto';
import { proto } from '@whiskeysockets/baileys';
import { z } from 'zod';
import { phoneJid } from './directory.ts';
import { InvalidScenario, UnknownMessage } from './errors.ts';
import type { Inbox } from './inbox.ts';
import { messageOf } from './message-kinds.ts';
import { encryptPollVote } from './poll-votes.ts';

const messageId = z.string().min(1).max(128);
const replyTo = messageId.optional();

export const ContactContent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string().min(1).max(65_536), replyTo }),
  z.object({
    type: z.literal('location'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: z.string().max(1000).optional(),
    address: z.string().max(1000).optional(),
    replyTo,
  }),
  z.object({
    type: z.literal('contacts'),
    contacts: z.array(z.object({ name: z.string().min(1).max(256), phone: z.string().regex(/^\d{5,20}$/) })).min(1).max(20),
    replyTo,
  }),
  z.object({
    type: z.literal('poll'),
    name: z.string().min(1).max(256),
    options: z.array(z.string().min(1).max(100)).min(2).max(12),
    selectableCount: z.number().int().min(0).max(12).default(1),
    replyTo,
  }),
  /** An empty emoji takes the contact's reaction back. */
  z.object({ type: z.literal('reaction'), messageId, emoji: z.string().max(32) }),
  z.object({ type: z.literal('edit'), messageId, text: z.string().min(1).max(65_536) }),
  z.object({ type: z.literal('revoke'), messageId }),
  z.object({ type: z.literal('poll-vote'), pollId: messageId, options: z.array(z.string().min(1).max(100)).max(12) }),
]);
export type ContactContent = z.infer<typeof ContactContent>;

/** A message of the chat between contact `from` and phone `to`, and which of the two sent it. */
type ChatMessage = { id: string; byContact: boolean; message: proto.IMessage };

function findInChat(inbox: Inbox, from: string, to: string, id: string): ChatMessage {
  const sent = inbox.sent(id);
  if (sent && sent.from === to && sent.to === from && sent.content) return { id, byContact: false, message: messageOf(sent.content) };
  const own = inbox.fromContact(id);
  if (own && own.from === from && own.to === to) return { id, byContact: true, message: messageOf(own.content) };
  throw new UnknownMessage(`no message ${id} in the chat of ${from} and ${to}`);
}

/** The key of a chat message as the contact's phone names it: the chat is `to`, fromMe if the contact sent it. */
function keyOf(to: string, target: ChatMessage): proto.IMessageKey {
  return { remoteJid: phoneJid(to), fromMe: target.byContact, id: target.id };
}

function quote(from: string, to: string, target: ChatMessage): proto.IContextInfo {
  return { stanzaId: target.id, participant: phoneJid(target.byContact ? from : to), quotedMessage: target.message };
}

function vcard(name: string, phone: string): string {
  return ['BEGIN:VCARD', 'VERSION:3.0', `FN:${name}`, `TEL;type=CELL;waid=${phone}:+${phone}`, 'END:VCARD'].join('\n');
}

/** The proto.Message contact `from` sends phone `to` for `content`; a message it names must be in their chat. */
export function contactMessage(inbox: Inbox, from: string, to: string, content: ContactContent): proto.IMessage {
  const context = 'replyTo' in content && content.replyTo ? quote(from, to, findInChat(inbox, from, to, content.replyTo)) : undefined;
  switch (content.type) {
    case 'text':
      // A phone sends a reply as an extendedTextMessage; plain text as a conversation.
      return context ? { extendedTextMessage: { text: content.text, contextInfo: context } } : { conversation: content.text };
    case 'location':
      return {
        locationMessage: {
          degreesLatitude: content.latitude,
          degreesLongitude: content.longitude,
          ...(content.name ? { name: content.name } : {}),
          ...(content.address ? { address: content.address } : {}),
          ...(context ? { contextInfo: context } : {}),
        },
      };
    case 'contacts': {
      const cards = content.contacts.map((c) => ({ displayName: c.name, vcard: vcard(c.name, c.phone) }));
      if (cards.length === 1) return { contactMessage: { ...cards[0], ...(context ? { contextInfo: context } : {}) } };
      return { contactsArrayMessage: { displayName: `${cards.length} contacts`, contacts: cards, ...(context ? { contextInfo: context } : {}) } };
    }
    case 'poll': {
      if (content.selectableCount > content.options.length) throw new InvalidScenario('selectableCount is more than the options');
      const poll = { name: content.name, options: content.options.map((optionName) => ({ optionName })), selectableOptionsCount: content.selectableCount, ...(context ? { contextInfo: context } : {}) };
      // As Baileys and phones do: a single-choice poll is a V3, and every poll carries the secret votes are sealed with.
      return {
        ...(content.selectableCount === 1 ? { pollCreationMessageV3: poll } : { pollCreationMessage: poll }),
        messageContextInfo: { messageSecret: randomBytes(32) },
      };
    }
    case 'reaction':
      return { reactionMessage: { key: keyOf(to, findInChat(inbox, from, to, content.messageId)), text: content.emoji, senderTimestampMs: Date.now() } };
    case 'edit': {
      const target = findInChat(inbox, from, to, content.messageId);
      if (!target.byContact) throw new InvalidScenario('a contact can only edit its own messages');
      return {
        protocolMessage: {
          type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
          key: keyOf(to, target),
          editedMessage: { conversation: content.text },
          timestampMs: Date.now(),
        },
      };
    }
    case 'revoke': {
      const target = findInChat(inbox, from, to, content.messageId);
      if (!target.byContact) throw new InvalidScenario('a contact can only revoke its own messages in a 1:1 chat');
      return { protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: keyOf(to, target) } };
    }
    case 'poll-vote': {
      const target = findInChat(inbox, from, to, content.pollId);
      const secret = target.message.messageContextInfo?.messageSecret;
      const poll = target.message.pollCreationMessage ?? target.message.pollCreationMessageV3 ?? target.message.pollCreationMessageV2;
      if (!poll || !secret) throw new InvalidScenario(`message ${content.pollId} is not a poll`);
      const names = new Set((poll.options ?? []).map((o) => o.optionName));
      const unknown = content.options.find((o) => !names.has(o));
      if (unknown !== undefined) throw new InvalidScenario(`the poll has no option "${unknown}"`);
      const vote = encryptPollVote(content.options, {
        secret,
        pollId: target.id,
        creatorJid: phoneJid(target.byContact ? from : to),
        voterJid: phoneJid(from),
      });
      return { pollUpdateMessage: { pollCreationMessageKey: keyOf(to, target), vote: vote, senderTimestampMs: Date.now() } };
    }
  }
}
