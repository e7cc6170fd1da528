// What simulated contacts received from linked devices, decrypted, and which account sent each
// message (so receipts can be routed back to it).
import type { MediaType } from './media-crypto.ts';

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
  /** The text, or a media message's caption ('' when it has none). */
  text: string;
  /** When the simulator received it, in milliseconds since the epoch. */
  timestamp: number;
  /** Only on media messages (a text message has neither). */
  type?: MediaType;
  media?: InboxMedia;
};

export type SentMessage = InboxMessage & {
  /** The contact that received it. */
  to: string;
  /** The jid Baileys addressed (PN or LID); receipts must come from the same jid to match. */
  chatJid: string;
};

export class Inbox {
  #byContact = new Map<string, InboxMessage[]>();
  #byId = new Map<string, SentMessage>();

  record(message: SentMessage): void {
    let list = this.#byContact.get(message.to);
    if (!list) {
      list = [];
      this.#byContact.set(message.to, list);
    }
    const { id, from, text, timestamp, type, media } = message;
    list.push({ id, from, text, timestamp, ...(type && media ? { type, media } : {}) });
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
}
