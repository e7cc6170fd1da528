// What simulated contacts received from linked devices, decrypted, and which account sent each
// message (so receipts can be routed back to it).
export type InboxMessage = {
  id: string;
  /** Phone number of the sending account. */
  from: string;
  text: string;
  /** When the simulator received it, in milliseconds since the epoch. */
  timestamp: number;
  /** The group jid, for a message sent to a group. */
  group?: string;
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
  // A group message has one id and one record per member.
  #all: SentMessage[] = [];

  record(message: SentMessage): void {
    let list = this.#byContact.get(message.to);
    if (!list) {
      list = [];
      this.#byContact.set(message.to, list);
    }
    list.push({ id: message.id, from: message.from, text: message.text, timestamp: message.timestamp, ...(message.group ? { group: message.group } : {}) });
    this.#all.push(message);
    // Receipts by id (sendReceipt) are for 1:1 messages.
    if (!message.group) this.#byId.set(message.id, message);
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
}
