// The error acks WhatsApp answers some sends with instead of delivering them: 463 (the sender's account is
// restricted, or it has no privacy token for the contact), 479 (a stanza the server rejects), ... A test
// switches one on for messages from a phone's devices to a contact, with the ack at once or late.

export type SendRefusal = {
  /** The error code the ack carries, e.g. 463 or 479. */
  code: number;
  /** How long after the send the error ack comes; under ~100 ms Baileys folds it into its own upsert. */
  delayMs: number;
};

export class SendRefusals {
  readonly #refusals = new Map<string, SendRefusal>();

  /** Messages from `from`'s devices to `to` are refused with `refusal` until cleared. */
  set(from: string, to: string, refusal: SendRefusal): void {
    this.#refusals.set(`${from}>${to}`, refusal);
  }

  clear(from: string, to: string): boolean {
    return this.#refusals.delete(`${from}>${to}`);
  }

  find(from: string, to: string): SendRefusal | undefined {
    return this.#refusals.get(`${from}>${to}`);
  }
}
