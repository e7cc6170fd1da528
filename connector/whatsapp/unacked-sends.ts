// Sends WhatsApp's server has not acked yet. A stanza written just before the stream ends (a stream error,
// the end of the stream, a dropped link) may never have been read by the server, though Baileys resolved
// the send; WhatsApp then has no copy. These are sent again, under the same id, on the next socket.
import type { proto } from '@whiskeysockets/baileys';

/** How many unacked sends are kept; older ones are given up (their acks come within seconds). */
const MAX_UNACKED = 5_000;

/**
 * `text` (and the phones it @mentions) for a plain text send; `message` once any send is built (and a media
 * send uploaded): it is relayed as it was. Neither: not resendable yet.
 */
export type UnackedSend = { messageId: string; to: string; text?: string; mentions?: string[] | undefined; message?: proto.IMessage };

export class UnackedSends {
  readonly #sends = new Map<string, UnackedSend>();

  add(send: UnackedSend): void {
    this.#sends.set(send.messageId, send);
    if (this.#sends.size > MAX_UNACKED) this.#sends.delete(this.#sends.keys().next().value!);
  }

  /** The finished message of a send still unacked, so the next socket can relay it without uploading again. */
  prepared(messageId: string, message: proto.IMessage): void {
    const send = this.#sends.get(messageId);
    if (send) send.message = message;
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
