// Simulated contacts: each phone number's primary device (device 0), and any companion devices the
// contact linked, as libsignal identities with in-memory stores, able to decrypt what Baileys sends
// them and to encrypt to a Baileys device.
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
  /** 0 for the contact's phone, else one of its companion devices. */
  readonly device: number;
  readonly registrationId: number;
  readonly identity: SignalKeyPair;
  readonly signedPreKey: { keyId: number; keyPair: SignalKeyPair; signature: Buffer };
  #sessions = new Map<string, SessionRecord>();
  // One-time prekeys handed out and not yet used by a pkmsg; each is handed out once and used once.
  #preKeys = new Map<number, SignalKeyPair>();
  #nextPreKeyId = 1;
  // libsignal queues per address only; this queue also makes "no session yet -> build one" atomic.
  #queue: Promise<unknown> = Promise.resolve();
  #store: SignalStorage;

  /** A new contact, or with `saved` the same contact an earlier run had (world-file.ts). */
  constructor(phone: string, saved?: SavedContact, device = saved?.device ?? 0) {
    this.phone = phone;
    this.device = device;
    this.registrationId = saved?.registrationId ?? randomInt(1, 16380);
    this.identity = saved ? toKeyPair(saved.identity) : toKeyPair(curve.generateKeyPair());
    const keyPair = saved ? toKeyPair(saved.signedPreKey.keyPair) : toKeyPair(curve.generateKeyPair());
    const signature = saved
      ? Buffer.from(saved.signedPreKey.signature)
      : Buffer.from(curve.calculateSignature(this.identity.privKey, keyPair.pubKey));
    this.signedPreKey = { keyId: SIGNED_PRE_KEY_ID, keyPair, signature };
    for (const [id, record] of saved?.sessions ?? []) this.#sessions.set(id, libsignal.SessionRecord.deserialize(record));
    for (const [id, pair] of saved?.preKeys ?? []) this.#preKeys.set(id, toKeyPair(pair));
    this.#nextPreKeyId = saved?.nextPreKeyId ?? 1;
    const sessions = this.#sessions;
    const preKeys = this.#preKeys;
    this.#store = {
      loadSession: async (id) => sessions.get(id),
      storeSession: async (id, record) => {
        sessions.set(id, record);
      },
      isTrustedIdentity: () => true,
      // A prekey a pkmsg names that was never handed out, or was used already, is missing: libsignal fails.
      loadPreKey: async (id) => preKeys.get(Number(id)),
      removePreKey: (id) => {
        preKeys.delete(Number(id));
      },
      loadSignedPreKey: () => keyPair,
      getOurRegistrationId: () => this.registrationId,
      getOurIdentity: () => this.identity,
    };
  }

  /** Its keys and Signal sessions, as `new Contact(phone, saved)` takes them back. */
  save(): SavedContact {
    return {
      device: this.device,
      registrationId: this.registrationId,
      identity: this.identity,
      signedPreKey: { keyPair: this.signedPreKey.keyPair, signature: this.signedPreKey.signature },
      sessions: [...this.#sessions].map(([id, record]) => [id, record.serialize()]),
      preKeys: [...this.#preKeys],
      nextPreKeyId: this.#nextPreKeyId,
    };
  }

  /**
   * A one-time prekey for a bundle, as WhatsApp's server hands out each uploaded key once (the phone
   * keeps enough uploaded, so there always is one). It stays usable until a pkmsg uses it.
   */
  takePreKey(): { id: number; publicKey: Buffer } {
    const id = this.#nextPreKeyId++;
    const pair = toKeyPair(curve.generateKeyPair());
    this.#preKeys.set(id, pair);
    return { id, publicKey: pair.pubKey.subarray(1) };
  }

  /** One-time prekeys handed out in bundles, and those of them no pkmsg has used yet. */
  preKeyCounts(): { handedOut: number; unused: number } {
    return { handedOut: this.#nextPreKeyId - 1, unused: this.#preKeys.size };
  }

  /** Whether the contact has an open Signal session with the peer. */
  hasSession(peer: SignalPeer): boolean {
    return !!this.#sessions.get(new libsignal.ProtocolAddress(peer.name, peer.device).toString())?.haveOpenSession();
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
  /** Absent in files written before contacts had companion devices: the phone. */
  device?: number;
  registrationId: number;
  identity: SignalKeyPair;
  signedPreKey: { keyPair: SignalKeyPair; signature: Buffer };
  sessions: [id: string, record: ReturnType<SessionRecord['serialize']>][];
  /** Absent in files written before contacts had one-time prekeys. */
  preKeys?: [id: number, keyPair: SignalKeyPair][];
  nextPreKeyId?: number;
};

function contactKey(phone: string, device: number): string {
  return `${phone}.${device}`;
}

/** Contacts are created on first use: any phone number is a WhatsApp user, with its phone as device 0. */
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
    this.#contacts.set(contactKey(phone, 0), contact);
    return contact;
  }

  /** Puts back a contact saved by an earlier run. */
  restore(contact: Contact): void {
    this.#contacts.set(contactKey(contact.phone, contact.device), contact);
  }

  /** The contact's phone (device 0), created on first use. */
  get(phone: string): Contact {
    let contact = this.#contacts.get(contactKey(phone, 0));
    if (!contact) {
      contact = new Contact(phone);
      this.#contacts.set(contactKey(phone, 0), contact);
    }
    return contact;
  }

  /** One of the contact's devices: its phone (always there), or a companion it linked. */
  find(phone: string, device: number): Contact | undefined {
    return device === 0 ? this.get(phone) : this.#contacts.get(contactKey(phone, device));
  }

  /** The contact links companion device `device` (numbered by the device registry, as Baileys devices are). */
  addDevice(phone: string, device: number): Contact {
    const contact = new Contact(phone, undefined, device);
    this.#contacts.set(contactKey(phone, device), contact);
    return contact;
  }

  /** The contact's device numbers: 0 (its phone) first, then its companions. */
  devicesOf(phone: string): number[] {
    const companions = this.all().flatMap((contact) => (contact.phone === phone && contact.device !== 0 ? [contact.device] : []));
    return [0, ...companions.sort((a, b) => a - b)];
  }
}

