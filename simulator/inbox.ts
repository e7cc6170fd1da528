// What simulated contacts received from linked devices, decrypted, and which account sent each
// message (so receipts can be routed back to it); and what contacts sent, so they can quote, react to,
// edit or revoke it later.
import type { MessageContent, MessageKind } from './message-kinds.ts';

export type InboxMessage = {
  id: string;
  /** Phone number of the sending account. */
  from: string;
  /** The text, an edit's new text, or ''. */
  text: string;
  /** When the simulator received it, in milliseconds since the epoch. */
  timestamp: number;
  /** Absent in world files written before kinds: text. */
  kind?: MessageKind;
  /** The whole proto.Message as JSON (bytes in base64). Absent in world files written before kinds. */
  content?: MessageContent;
  /** The id of the message it quotes. */
  replyTo?: string;
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

  record(message: SentMessage): void {
    let list = this.#byContact.get(message.to);
    if (!list) {
      list = [];
      this.#byContact.set(message.to, list);
    }
    const { to: _to, chatJid: _chatJid, ...shown } = message;
    list.push(shown);
    this.#byId.set(message.id, message);
  }

  messagesOf(contact: string): InboxMessage[] {
    return [...(this.#byContact.get(contact) ?? [])];
  }

  sent(id: string): SentMessage | undefined {
    return this.#byId.get(id);
  }

  /** Every message recorded, oldest first: replaying them through record() rebuilds the inbox. */
  all(): SentMessage[] {
    return [...this.#byId.values()];
  }

  recordFromContact(message: ContactMessage): void {
    this.#fromContacts.set(message.id, message);
  }

  fromContact(id: string): ContactMessage | undefined {
    return this.#fromContacts.get(id);
  }
}
