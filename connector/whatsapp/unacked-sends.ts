// Sends WhatsApp's server has not acked yet. A stanza written just before the stream ends (a stream error,
// the end of the stream, a dropped link) may never have been read by the server, though Baileys resolved
// the send; WhatsApp then has no copy. These are sent again, under the same id, on the next socket.

/** How many unacked sends are kept; older ones are given up (their acks come within seconds). */
const MAX_UNACKED = 5_000;

export type UnackedSend = { messageId: string; to: string; text: string; mentions?: string[] | undefined };

export class UnackedSends {
  readonly #sends = new Map<string, UnackedSend>();

  add(send: UnackedSend): void {
    this.#sends.set(send.messageId, send);
    if (this.#sends.size > MAX_UNACKED) this.#sends.delete(this.#sends.keys().next().value!);
  }

  /** The server acked it (or refused it with an error ack): it is no longer ours to resend. */
  settle(messageId: string): void {
    this.#sends.delete(messageId);
  }

  /** The sends still unacked, oldest first. */
  list(): UnackedSend[] {
    return [...this.#sends.values()];
  }
}
