// What kind of message a decrypted proto.Message is, as the inbox shows it, and the stanza attributes a
// sender's client puts on each kind (wave-2 notes, section d): WhatsApp's server routes by them, the
// receiving client reads only the decrypted proto.
import { normalizeMessageContent, proto } from '@whiskeysockets/baileys';
import type { BinaryNode } from '@whiskeysockets/baileys';

export type MessageKind =
  | 'text'
  | 'location'
  | 'contacts'
  | 'poll'
  | 'poll-vote'
  | 'reaction'
  | 'edit'
  | 'revoke'
  | 'image'
  | 'video'
  | 'audio'
  | 'document'
  | 'sticker'
  | 'unknown';

/** The proto as JSON (bytes base64, longs as numbers): what the inbox and the world file keep. */
export type MessageContent = Record<string, unknown>;

export function contentOf(message: proto.IMessage): MessageContent {
  return proto.Message.toObject(proto.Message.fromObject(message), { longs: Number, bytes: String, enums: Number }) as MessageContent;
}

export function messageOf(content: MessageContent): proto.IMessage {
  return proto.Message.fromObject(content);
}

export function kindOf(message: proto.IMessage): MessageKind {
  const m = normalizeMessageContent(message);
  if (!m) return 'unknown';
  if (m.conversation !== undefined && m.conversation !== null) return 'text';
  if (m.extendedTextMessage) return 'text';
  if (m.locationMessage || m.liveLocationMessage) return 'location';
  if (m.contactMessage || m.contactsArrayMessage) return 'contacts';
  if (m.pollCreationMessage || m.pollCreationMessageV2 || m.pollCreationMessageV3) return 'poll';
  if (m.pollUpdateMessage) return 'poll-vote';
  if (m.reactionMessage) return 'reaction';
  if (m.protocolMessage?.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT) return 'edit';
  if (m.protocolMessage?.type === proto.Message.ProtocolMessage.Type.REVOKE) return 'revoke';
  if (m.imageMessage) return 'image';
  if (m.videoMessage) return 'video';
  if (m.audioMessage) return 'audio';
  if (m.documentMessage) return 'document';
  if (m.stickerMessage) return 'sticker';
  return 'unknown';
}

/** The text a message shows: its text, an edit's new text, a caption, or ''. */
export function textOf(message: proto.IMessage): string {
  const m = normalizeMessageContent(message);
  const edited = m?.protocolMessage?.editedMessage;
  return (
    m?.conversation ??
    m?.extendedTextMessage?.text ??
    edited?.conversation ??
    edited?.extendedTextMessage?.text ??
    m?.imageMessage?.caption ??
    m?.videoMessage?.caption ??
    m?.documentMessage?.caption ??
    ''
  );
}

/** The id of the message this one quotes, if it is a reply. */
export function replyToOf(message: proto.IMessage): string | undefined {
  const m = normalizeMessageContent(message);
  if (!m) return undefined;
  for (const value of Object.values(m)) {
    const context = (value as { contextInfo?: proto.IContextInfo } | null)?.contextInfo;
    if (context?.stanzaId) return context.stanzaId;
  }
  return undefined;
}

/** What a sending client puts on the <message> stanza, and any child before <enc>, for this kind. */
export function stanzaFor(message: proto.IMessage): { attrs: Record<string, string>; encAttrs: Record<string, string>; children: BinaryNode[] } {
  switch (kindOf(message)) {
    case 'reaction':
      return { attrs: { type: 'reaction' }, encAttrs: { 'decrypt-fail': 'hide' }, children: [] };
    case 'edit':
      return { attrs: { type: 'text', edit: '1' }, encAttrs: {}, children: [] };
    case 'revoke':
      return { attrs: { type: 'text', edit: '7' }, encAttrs: {}, children: [] };
    case 'poll':
      return { attrs: { type: 'poll' }, encAttrs: {}, children: [{ tag: 'meta', attrs: { polltype: 'creation' } }] };
    case 'poll-vote':
      return { attrs: { type: 'poll' }, encAttrs: { 'decrypt-fail': 'hide' }, children: [{ tag: 'meta', attrs: { polltype: 'vote' } }] };
    case 'contacts':
      return { attrs: { type: 'media', mediatype: 'vcard' }, encAttrs: {}, children: [] };
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return { attrs: { type: 'media' }, encAttrs: {}, children: [] };
    default:
      return { attrs: { type: 'text' }, encAttrs: {}, children: [] };
  }
}
