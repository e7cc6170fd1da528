// Turns what a contact sends besides plain text and media into our events: location, contacts and polls as
// message.received with their fields, the quoted id of a reply, and reactions, edits, deletes and poll votes
// as their own events. Pure functions of the Baileys message; the poll a vote is for comes from the caller.
import { createHash } from 'node:crypto';
import { decryptPollVote, normalizeMessageContent, proto, type WAMessage } from '@whiskeysockets/baileys';
import type { SessionEvent } from '../../shared/protocol.ts';
import { timestampMs, type IncomingText } from './events.ts';

export type Sender = { from: string | null; fromLid?: string };
type ChatEvent = Extract<SessionEvent, { name: 'message.reaction' | 'message.edited' | 'message.revoked' | 'poll.vote' }>;

function contextOf(content: proto.IMessage): proto.IContextInfo | undefined {
  for (const value of Object.values(content)) {
    const context = (value as { contextInfo?: proto.IContextInfo | null } | null)?.contextInfo;
    if (context) return context;
  }
  return undefined;
}

/** The id of the message a received message quotes, if it is a reply. */
export function replyToOf(msg: WAMessage): string | undefined {
  const content = normalizeMessageContent(msg.message);
  const id = content ? contextOf(content)?.stanzaId : undefined;
  return id ? id.slice(0, 128) : undefined;
}

function pollOf(content: proto.IMessage) {
  return content.pollCreationMessage ?? content.pollCreationMessageV3 ?? content.pollCreationMessageV2;
}

/** message.received for a location, contacts or poll; null for anything else. */
export function incomingKindEvent(msg: WAMessage, sender: Sender, now: number): IncomingText | null {
  const content = normalizeMessageContent(msg.message);
  if (msg.key.fromMe || !msg.key.id || msg.messageStubType || !content) return null;
  const base = { name: 'message.received' as const, messageId: msg.key.id, ...sender, timestamp: timestampMs(msg.messageTimestamp, now), ...(msg.pushName ? { pushName: msg.pushName.slice(0, 256) } : {}) };
  const location = content.locationMessage ?? content.liveLocationMessage;
  if (location) {
    const named = content.locationMessage;
    return {
      ...base,
      type: 'location',
      text: (named?.name ?? '').slice(0, 65_536),
      location: {
        latitude: location.degreesLatitude ?? 0,
        longitude: location.degreesLongitude ?? 0,
        ...(named?.name ? { name: named.name.slice(0, 1000) } : {}),
        ...(named?.address ? { address: named.address.slice(0, 1000) } : {}),
      },
    };
  }
  const cards = content.contactMessage ? [content.contactMessage] : (content.contactsArrayMessage?.contacts ?? null);
  if (cards) {
    const contacts = cards.slice(0, 50).map((c) => ({ name: (c.displayName ?? '').slice(0, 256), vcard: (c.vcard ?? '').slice(0, 10_000) }));
    return { ...base, type: 'contacts', text: contacts.map((c) => c.name).join(', ').slice(0, 65_536), contacts };
  }
  const poll = pollOf(content);
  if (poll) {
    const options = (poll.options ?? []).slice(0, 12).map((o) => (o.optionName ?? '').slice(0, 256));
    return { ...base, type: 'poll', text: (poll.name ?? '').slice(0, 65_536), poll: { name: (poll.name ?? '').slice(0, 256), options, selectableCount: Math.min(poll.selectableOptionsCount ?? 0, 12) } };
  }
  return null;
}

/** A reaction, an edit or a delete for everyone by the sender; null for anything else. */
export function chatActionEvent(msg: WAMessage, sender: Sender, now: number): ChatEvent | null {
  const content = normalizeMessageContent(msg.message);
  if (msg.key.fromMe || !msg.key.id || !content) return null;
  const timestamp = timestampMs(msg.messageTimestamp, now);
  const reaction = content.reactionMessage;
  if (reaction?.key?.id) {
    return { name: 'message.reaction', messageId: msg.key.id, targetId: reaction.key.id.slice(0, 128), ...sender, emoji: (reaction.text ?? '').slice(0, 64), timestamp };
  }
  const protocol = content.protocolMessage;
  const target = protocol?.key?.id?.slice(0, 128);
  if (protocol && target && protocol.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT) {
    const edited = protocol.editedMessage;
    const text = edited?.conversation ?? edited?.extendedTextMessage?.text ?? '';
    return { name: 'message.edited', messageId: target, ...sender, text: text.slice(0, 65_536), timestamp };
  }
  if (protocol && target && protocol.type === proto.Message.ProtocolMessage.Type.REVOKE) {
    return { name: 'message.revoked', messageId: target, ...sender, timestamp };
  }
  return null;
}

/** The poll a vote names, if the message is a vote. */
export function votedPollId(msg: WAMessage): string | undefined {
  return normalizeMessageContent(msg.message)?.pollUpdateMessage?.pollCreationMessageKey?.id ?? undefined;
}

/**
 * poll.vote for a vote on `poll` (the creation message, with its secret), decrypted as the poll's
 * participants can: rc14 leaves votes encrypted. `creatorJid` and `voterJid` are normalised jids.
 */
export function pollVoteEvent(
  msg: WAMessage,
  poll: { id: string; message: proto.IMessage; creatorJid: string; voterJid: string },
  sender: Sender,
  now: number,
): Extract<SessionEvent, { name: 'poll.vote' }> | null {
  const update = normalizeMessageContent(msg.message)?.pollUpdateMessage;
  const secret = poll.message.messageContextInfo?.messageSecret;
  const creation = pollOf(poll.message);
  if (!update?.vote || !secret || !creation) return null;
  const vote = decryptPollVote(update.vote, { pollEncKey: secret, pollCreatorJid: poll.creatorJid, pollMsgId: poll.id, voterJid: poll.voterJid });
  const byHash = new Map((creation.options ?? []).map((o) => [createHash('sha256').update(o.optionName ?? '').digest('hex'), o.optionName ?? '']));
  const options = (vote.selectedOptions ?? []).flatMap((hash) => byHash.get(Buffer.from(hash).toString('hex')) ?? []).slice(0, 12);
  return { name: 'poll.vote', pollId: poll.id.slice(0, 128), ...sender, options, timestamp: timestampMs(msg.messageTimestamp, now) };
}
