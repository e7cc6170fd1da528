// What happens inside the simulator, as typed events tests can await instead of sleeping.
import { EventEmitter } from 'node:events';
import type { InboxMedia } from './inbox.ts';
import type { MediaType } from './media-crypto.ts';

export type ReceiptType = 'delivered' | 'read';

export type SimulatorEventMap = {
  /** A phone scanned a QR and the device accepted pairing (the 515 restart follows). */
  'device-linked': { phone: string; device: number; jid: string };
  /** A linked device logged in (success sent). */
  'device-connected': { phone: string; device: number };
  /** A device logged in while another connection of it was live; that one was ended with the replaced conflict (440). */
  'device-replaced': { phone: string; device: number };
  /** A logged-in device's connection closed, for any reason. */
  'device-disconnected': { phone: string; device: number };
  /** A device was unlinked, by the phone (unlink) or by itself (logout). */
  'device-unlinked': { phone: string; device: number };
  /** A contact decrypted a message a device sent (`devices`: which of its devices did); it is now in the contact's inbox. */
  'message-stored': { id: string; from: string; to: string; text: string; timestamp: number; devices: number[]; type?: MediaType | undefined; media?: InboxMedia | undefined; group?: string };
  /** A group was created or changed (`action`: create, subject, add, remove, ...) by `by` (a phone number). */
  'group-changed': { id: string; action: string; by: string };
  /** A device's group message was fanned out to the devices of `members` (the other current members), and decrypted by those that are contacts. */
  'group-message-delivered': { id: string; group: string; from: string; members: string[] };
  /** Contact device `from`.`device` could not decrypt group message `id` and asked its sender for it again (`count` from 1). */
  'group-retry-sent': { id: string; group: string; from: string; device: number; count: number };
  /** A contact posted in a group: the skmsg went to `devices` linked devices, `distributions` of them also got its sender key. */
  'group-message-sent': { id: string; group: string; from: string; devices: number; distributions: number };
  /** A contact's message was encrypted to the receiving phone's devices (one Signal type per device). */
  'contact-message-sent': { id: string; from: string; to: string; types: ('pkmsg' | 'msg')[] };
  /** A device fetched the key bundles of these phones' devices (to start Signal sessions with them). */
  'bundles-fetched': { phone?: string | undefined; phones: string[] };
  /** Contact `phone` reinstalled WhatsApp (new identity keys); `notified` devices were sent the identity notification. */
  'contact-reinstalled': { phone: string; notified: number };
  /** The server answered an iq from a device (ping, prekeys, usync, ...). */
  'iq-answered': { phone?: string | undefined; xmlns: string; type: string };
  /**
   * A device sent a receipt for a message a contact sent it (delivered, inactive, read, ...); the
   * message is then settled and never redelivered. Retry receipts are 'retry-received' instead.
   */
  'receipt-received': { id: string; from: string; to: string; type: string };
  /**
   * A device could not decrypt a contact's message and asked for it again (retry receipt, `count` from
   * 1); the contact encrypts it afresh and resends it.
   */
  'retry-received': { id: string; from: string; to: string; count: number };
  /**
   * A device refused a contact's message with a nack (`error`, e.g. 487 for a ciphertext it already
   * decrypted once); `settled` says it will not be redelivered (always true: every nack settles).
   */
  'nack-received': { id: string; from: string; to: string; error: string; settled: boolean };
  /**
   * A device's connection closed before the device receipted these contact messages written to it;
   * they are delivered again (offline) at its next login, or at once on a connection that replaced it.
   */
  'messages-requeued': { phone: string; device: number; ids: string[] };
  /** A device's message was refused with an error ack (a switched-on send refusal); the contact never gets it. */
  'send-refused': { id: string; from: string; to: string; code: number };
  /** A device asked for the next page of its offline backlog (`<offline_batch count>`). */
  'offline-batch-requested': { phone: string; device: number; count: number };
  /** A client announced a version older than the minimum and was refused with a 405 failure. */
  'client-too-old': { version: string; minimum: string };
  /** The media host stored an upload (encrypted bytes) under `directPath`. */
  'media-uploaded': { type: string; directPath: string; size: number };
  /** The media host refused an upload (wrong auth or token, too large); nothing was stored. */
  'media-upload-refused': { status: number; reason: string };
  /** The media host answered a download (200, or 404/410 for a blob it never had or expired). */
  'media-fetched': { directPath: string; status: number };
  /** A device asked for message `id`'s media again; the phone answered (SUCCESS with the new `directPath`, NOT_FOUND, DECRYPTION_ERROR). */
  'media-retry-answered': { id: string; phone: string; result: string; directPath?: string };
  /** A device sent a chatstate (`to` the contact), its availability, or subscribed to a contact's presence. */
  'presence-received': { from: string; to?: string; state: 'composing' | 'recording' | 'paused' | 'available' | 'unavailable' | 'subscribe' };
  /** Something a client sent could not be handled; the connection or message was dropped. */
  'client-error': { phone?: string | undefined; error: Error };
};

export type SimulatorEventName = keyof SimulatorEventMap;

export class WaitTimeout extends Error {}

const DEFAULT_WAIT_MS = 10_000;

export class SimulatorEvents {
  #emitter = new EventEmitter();

  constructor() {
    // Benchmarks may hold one waiter per session.
    this.#emitter.setMaxListeners(0);
  }

  emit<E extends SimulatorEventName>(event: E, payload: SimulatorEventMap[E]): void {
    this.#emitter.emit(event, payload);
  }

  on<E extends SimulatorEventName>(event: E, listener: (payload: SimulatorEventMap[E]) => void): () => void {
    this.#emitter.on(event, listener);
    return () => this.#emitter.off(event, listener);
  }

  /**
   * Resolves with the next event matching the predicate. Register it before triggering the action
   * it waits for. Rejects with WaitTimeout after timeoutMs so a missing event fails with its name.
   */
  waitFor<E extends SimulatorEventName>(
    event: E,
    predicate: (payload: SimulatorEventMap[E]) => boolean = () => true,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<SimulatorEventMap[E]> {
    return new Promise((resolve, reject) => {
      const listener = (payload: SimulatorEventMap[E]) => {
        if (!predicate(payload)) return;
        clearTimeout(timer);
        this.#emitter.off(event, listener);
        resolve(payload);
      };
      const timer = setTimeout(() => {
        this.#emitter.off(event, listener);
        reject(new WaitTimeout(`simulator: no '${event}' event within ${timeoutMs} ms`));
      }, timeoutMs);
      // A forgotten waiter must not keep the process alive after close().
      timer.unref();
      this.#emitter.on(event, listener);
    });
  }
}
