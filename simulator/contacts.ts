// Simulated contacts: each phone number's primary device (device 0) as a libsignal identity with an
// in-memory store, able to decrypt what Baileys sends it and to encrypt to a Baileys device.
import { randomInt } from 'node:crypto';
import * as libsignal from 'libsignal';
import * as curve from 'libsignal/src/curve.js';
import type { SessionRecord, SignalStorage } from 'libsignal';

type SignalKeyPair = { pubKey: Buffer; privKey: Buffer };
const SIGNED_PRE_KEY_ID = 1;

/** A remote Signal device, named as the contact's store knows it. */
export type SignalPeer = { name: string; device: number };

/** What the contact needs to start a session with a peer: its published keys (33-byte public keys). */
export type PeerBundle = {
  registrationId: number;
  identityKey: Buffer;
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer };
  preKey?: { keyId: number; publicKey: Buffer } | undefined;
};

export type SignalMessageType = 'pkmsg' | 'msg';

export class NoSignalSession extends Error {}

function toKeyPair(pair: { pubKey: Uint8Array; privKey: Uint8Array }): SignalKeyPair {
  return { pubKey: Buffer.from(pair.pubKey), privKey: Buffer.from(pair.privKey) };
}

/** Baileys pads every Signal plaintext with 1-16 bytes whose value is the pad length, and strips it. */
export function pad(plaintext: Uint8Array): Buffer {
  const length = randomInt(1, 17);
  return Buffer.concat([plaintext, Buffer.alloc(length, length)]);
}

export function unpad(padded: Buffer): Buffer {
  const length = padded[padded.length - 1];
  if (!length || length > 16 || length > padded.length) throw new Error('contacts: bad message padding');
  return padded.subarray(0, padded.length - length);
}

export class Contact {
  readonly phone: string;
  readonly registrationId: number;
  readonly identity: SignalKeyPair;
  readonly signedPreKey: { keyId: number; keyPair: SignalKeyPair; signature: Buffer };
  #sessions = new Map<string, SessionRecord>();
  // libsignal queues per address only; this queue also makes "no session yet -> build one" atomic.
  #queue: Promise<unknown> = Promise.resolve();
  #store: SignalStorage;

  /** A new contact, or with `saved` the same contact an earlier run had (world-file.ts). */
  constructor(phone: string, saved?: SavedContact) {
    this.phone = phone;
    this.registrationId = saved?.registrationId ?? randomInt(1, 16380);
    this.identity = saved ? toKeyPair(saved.identity) : toKeyPair(curve.generateKeyPair());
    const keyPair = saved ? toKeyPair(saved.signedPreKey.keyPair) : toKeyPair(curve.generateKeyPair());
    const signature = saved
      ? Buffer.from(saved.signedPreKey.signature)
      : Buffer.from(curve.calculateSignature(this.identity.privKey, keyPair.pubKey));
    this.signedPreKey = { keyId: SIGNED_PRE_KEY_ID, keyPair, signature };
    for (const [id, record] of saved?.sessions ?? []) this.#sessions.set(id, libsignal.SessionRecord.deserialize(record));
    const sessions = this.#sessions;
    // The contact hands out no one-time prekeys (they are optional), so loadPreKey finds none.
    this.#store = {
      loadSession: async (id) => sessions.get(id),
      storeSession: async (id, record) => {
        sessions.set(id, record);
      },
      isTrustedIdentity: () => true,
      loadPreKey: async () => undefined,
      removePreKey: () => {},
      loadSignedPreKey: () => keyPair,
      getOurRegistrationId: () => this.registrationId,
      getOurIdentity: () => this.identity,
    };
  }

  /** Its keys and Signal sessions, as `new Contact(phone, saved)` takes them back. */
  save(): SavedContact {
    return {
      registrationId: this.registrationId,
      identity: this.identity,
      signedPreKey: { keyPair: this.signedPreKey.keyPair, signature: this.signedPreKey.signature },
      sessions: [...this.#sessions].map(([id, record]) => [id, record.serialize()]),
    };
  }

  /** Decrypts a Signal message from the peer and strips Baileys' padding. */
  decrypt(peer: SignalPeer, type: SignalMessageType, ciphertext: Buffer): Promise<Buffer> {
    return this.#serial(async () => {
      const cipher = new libsignal.SessionCipher(this.#store, new libsignal.ProtocolAddress(peer.name, peer.device));
      const padded =
        type === 'pkmsg'
          ? await cipher.decryptPreKeyWhisperMessage(ciphertext)
          : await cipher.decryptWhisperMessage(ciphertext);
      return unpad(padded);
    });
  }

  /**
   * Encrypts to the peer, first building a session from bundle() when none is open, or in any case
   * with `newSession` (the peer could not decrypt what we sent, so the old session is not trusted).
   * The bundle is fetched lazily because it consumes one of the peer's one-time prekeys.
   */
  encrypt(
    peer: SignalPeer,
    plaintext: Uint8Array,
    bundle: () => PeerBundle | undefined,
    options: { newSession?: boolean } = {},
  ): Promise<{ type: SignalMessageType; ciphertext: Buffer }> {
    return this.#serial(async () => {
      const address = new libsignal.ProtocolAddress(peer.name, peer.device);
      if (options.newSession || !this.#sessions.get(address.toString())?.haveOpenSession()) {
        const keys = bundle();
        if (!keys) throw new NoSignalSession(`contacts: ${peer.name}.${peer.device} published no keys`);
        await new libsignal.SessionBuilder(this.#store, address).initOutgoing(keys as Parameters<libsignal.SessionBuilder['initOutgoing']>[0]);
      }
      const { type, body } = await new libsignal.SessionCipher(this.#store, address).encrypt(pad(plaintext));
      // libsignal's typings say string, but it returns a Buffer.
      return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext: Buffer.from(body as unknown as Uint8Array) };
    });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** What a contact is across restarts: its identity, signed prekey and Signal sessions (libsignal's serialized form). */
export type SavedContact = {
  registrationId: number;
  identity: SignalKeyPair;
  signedPreKey: { keyPair: SignalKeyPair; signature: Buffer };
  sessions: [id: string, record: ReturnType<SessionRecord['serialize']>][];
};

/** Contacts are created on first use: any phone number is a WhatsApp user. */
export class ContactBook {
  #contacts = new Map<string, Contact>();

  all(): Contact[] {
    return [...this.#contacts.values()];
  }

  /**
   * The contact reinstalled WhatsApp: a new identity, registration id and signed prekey, and none of
   * its Signal sessions. The number and its LID stay.
   */
  reinstall(phone: string): Contact {
    const contact = new Contact(phone);
    this.#contacts.set(phone, contact);
    return contact;
  }

  /** Puts back a contact saved by an earlier run. */
  restore(contact: Contact): void {
    this.#contacts.set(contact.phone, contact);
  }

  get(phone: string): Contact {
    let contact = this.#contacts.get(phone);
    if (!contact) {
      contact = new Contact(phone);
      this.#contacts.set(phone, contact);
    }
    return contact;
  }
}

