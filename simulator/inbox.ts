// What simulated contacts received from linked devices, decrypted, and which account sent each
// message (so receipts can be routed back to it); and what contacts sent, so they can quote, react to,
// edit or revoke it later.
import type { MediaType } from './media-crypto.ts';
import type { MessageContent, MessageKind } from './message-kinds.ts';

/**
 * Media as the receiving contact found it after downloading, checking and decrypting it: what the message
 * said (mimetype, caption, filename, voice note, GIF) and the size and SHA-256 (hex) of the decrypted bytes,
 * or `error` naming the first check that failed (the bytes then are not known).
 */
export type InboxMedia = {
  mimetype: string;
  caption?: string;
  filename?: string;
  voice?: boolean;
  gif?: boolean;
  size?: number;
  sha256?: string;
  error?: string;
};

export type InboxMessage = {
  id: string;
  /** Phone number of the sending account. */
  from: string;
  /** The text, a media message's caption, an edit's new text, or ''. */
  text: string;
  /** When the simulator received it, in milliseconds since the epoch. */
  timestamp: number;
  /** Absent in world files written before kinds: text. */
  kind?: MessageKind;
  /** The whole proto.Message as JSON (bytes in base64). Absent in world files written before kinds. */
  content?: MessageContent;
  /** The id of the message it quotes. */
  replyTo?: string;
  /** Only on media messages: the media type and what the contact found when it fetched the bytes. */
  type?: MediaType;
  media?: InboxMedia;
  /** The group jid, for a message sent to a group. */
  group?: string;
};

export type SentMessage = InboxMessage & {
  /** The contact that received it. */
  to: string;
  /** The jid Baileys addressed (PN or LID); receipts must come from the same jid to match. */
  chatJid: string;
};

/** A message a contact sent a phone's devices. */
export type ContactMessage = { id: string; from: string; to: string; content: MessageContent; timestamp: number };

export class Inbox {
  #byContact = new Map<string, InboxMessage[]>();
  #byId = new Map<string, SentMessage>();
  #fromContacts = new Map<string, ContactMessage>();
  // A group message has one id and one record per member.
  #all: SentMessage[] = [];
  #seen = new Set<string>();

  /** Messages a contact got again under an id it already had, by id: a phone shows such a message once. */
  readonly duplicates = new Map<string, number>();

  /**
   * Records a message; one the contact (or, for a group copy, that device of it) already has, from the same
   * sender under the same id, is only counted, and false returned.
   */
  record(message: SentMessage, device?: number): boolean {
    // A group message is recorded per member device (each decrypts its own copy): another device's copy is
    // not a duplicate, the same device's second copy is.
    const key = `${message.to}|${message.from}|${message.id}|${device ?? '*'}`;
    if (this.#seen.has(key)) {
      this.duplicates.set(message.id, (this.duplicates.get(message.id) ?? 0) + 1);
      return false;
    }
    this.#seen.add(key);
    let list = this.#byContact.get(message.to);
    if (!list) {
      list = [];
      this.#byContact.set(message.to, list);
    }
    const { to: _to, chatJid: _chatJid, ...shown } = message;
    list.push(shown);
    this.#all.push(message);
    // Receipts by id (sendReceipt) are for 1:1 messages.
    if (!message.group) this.#byId.set(message.id, message);
    return true;
  }

  messagesOf(contact: string): InboxMessage[] {
    return [...(this.#byContact.get(contact) ?? [])];
  }

  sent(id: string): SentMessage | undefined {
    return this.#byId.get(id);
  }

  /** Every message recorded, oldest first: replaying them through record() rebuilds the inbox. */
  all(): SentMessage[] {
    return [...this.#all];
  }

  recordFromContact(message: ContactMessage): void {
    this.#fromContacts.set(message.id, message);
  }

  fromContact(id: string): ContactMessage | undefined {
    return this.#fromContacts.get(id);
  }
}
