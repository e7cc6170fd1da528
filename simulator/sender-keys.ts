// Group encryption on the contacts' side, as WhatsApp clients do it: each member device keeps one sender
// key per (group, sending device), learnt from a SenderKeyDistributionMessage that came Signal-encrypted to
// it, and its own sender key per group, which it hands to each device once before the first skmsg that
// device needs. Baileys' own Signal/Group classes do the crypto (deep import; Baileys has no exports map).
import { createHash } from 'node:crypto';
import * as libsignal from 'libsignal';
import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyMessage,
  SenderKeyName,
  SenderKeyRecord,
} from '@whiskeysockets/baileys/lib/Signal/Group/index.js';
import type { SenderKeyState } from '@whiskeysockets/baileys/lib/Signal/Group/index.js';
import type { SenderKeyStateStructure } from '@whiskeysockets/baileys/lib/Signal/Group/sender-key-record.js';
import { pad, unpad } from './contacts.ts';

/** A device by phone number and device number (0: the phone). */
export type DeviceAddress = { phone: string; device: number };

export type SavedSenderKeys = {
  records: [holder: string, name: string, states: SenderKeyStateStructure[]][];
  distributed: string[];
};

/** How many checked (signing key, skmsg) pairs are remembered: plenty for one message's fan-out. */
const VERIFIED_KEPT = 1024;

type MessageKey = { getIv(): Uint8Array; getCipherKey(): Uint8Array };
type CipherInternals = {
  getSenderKey(state: SenderKeyState, iteration: number): MessageKey;
  getPlainText(iv: Uint8Array, key: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
};

function holderKey(holder: DeviceAddress): string {
  return `${holder.phone}.${holder.device}`;
}

function keyName(group: string, sender: DeviceAddress): SenderKeyName {
  return new SenderKeyName(group, new libsignal.ProtocolAddress(sender.phone, sender.device));
}

export class SenderKeys {
  /** Each contact device's sender key records, by the SenderKeyName they are for. */
  #records = new Map<string, Map<string, SenderKeyRecord>>();
  /** "group|sender|target": the sender's current key was handed to the target device. */
  #distributed = new Set<string>();
  /** Digests of (signing key, skmsg) pairs whose signature was found good. */
  #verified = new Set<string>();

  #store(holder: DeviceAddress) {
    let records = this.#records.get(holderKey(holder));
    if (!records) {
      records = new Map();
      this.#records.set(holderKey(holder), records);
    }
    const held = records;
    return {
      loadSenderKey: async (name: SenderKeyName) => held.get(name.toString()) ?? new SenderKeyRecord(),
      storeSenderKey: async (name: SenderKeyName, record: SenderKeyRecord) => {
        held.set(name.toString(), record);
      },
    };
  }

  /** `holder` learns `sender`'s key for the group from a distribution message. */
  async process(holder: DeviceAddress, group: string, sender: DeviceAddress, distribution: Uint8Array): Promise<void> {
    const message = new SenderKeyDistributionMessage(null, null, null, null, distribution);
    await new GroupSessionBuilder(this.#store(holder)).process(keyName(group, sender), message);
  }

  /**
   * Decrypts an skmsg `sender` sent to the group and strips the sender's padding. It is GroupCipher.decrypt
   * with the signature check done once per (signing key, message): every member of a group checks the same
   * bytes against the same key, and the pure-JS check costs tens of ms, so a 256-member fan-out would spend
   * seconds of the CPU the Baileys under test shares with the simulator.
   */
  async decrypt(holder: DeviceAddress, group: string, sender: DeviceAddress, skmsg: Uint8Array): Promise<Buffer> {
    const store = this.#store(holder);
    const name = keyName(group, sender);
    const record = await store.loadSenderKey(name);
    const message = new SenderKeyMessage(null, null, null, null, skmsg);
    const state = record.getSenderKeyState(message.getKeyId());
    if (!state) throw new Error('No session found to decrypt message');
    const signingKey = state.getSigningKeyPublic();
    const checked = createHash('sha256').update(signingKey).update(skmsg).digest('base64');
    if (!this.#verified.has(checked)) {
      message.verifySignature(signingKey);
      this.#verified.add(checked);
      if (this.#verified.size > VERIFIED_KEPT) this.#verified.delete(this.#verified.values().next().value!);
    }
    // GroupCipher's chain-key step and AES are used as they are (private in its typings only).
    const cipher = new GroupCipher(store, name) as unknown as CipherInternals;
    const messageKey = cipher.getSenderKey(state, message.getIteration());
    const padded = await cipher.getPlainText(messageKey.getIv(), messageKey.getCipherKey(), message.getCipherText());
    await store.storeSenderKey(name, record);
    return unpad(Buffer.from(padded));
  }

  /**
   * Encrypts with the sender's own key for the group (made on first use), and returns the distribution
   * message for devices that do not have that key yet.
   */
  async encrypt(sender: DeviceAddress, group: string, plaintext: Uint8Array): Promise<{ skmsg: Buffer; distribution: Buffer }> {
    const store = this.#store(sender);
    const name = keyName(group, sender);
    const distribution = await new GroupSessionBuilder(store).create(name);
    const skmsg = await new GroupCipher(store, name).encrypt(pad(plaintext));
    return { skmsg: Buffer.from(skmsg), distribution: Buffer.from(distribution.serialize()) };
  }

  hasDistributed(group: string, sender: DeviceAddress, target: DeviceAddress): boolean {
    return this.#distributed.has(`${group}|${holderKey(sender)}|${holderKey(target)}`);
  }

  markDistributed(group: string, sender: DeviceAddress, target: DeviceAddress): void {
    this.#distributed.add(`${group}|${holderKey(sender)}|${holderKey(target)}`);
  }

  /**
   * The sender drops its key for the group, as a WhatsApp client does when a member leaves or is
   * removed: its next message goes under a new key, handed again to each device still in the group.
   */
  rotate(group: string, sender: DeviceAddress): void {
    this.#records.get(holderKey(sender))?.delete(keyName(group, sender).toString());
    const prefix = `${group}|${holderKey(sender)}|`;
    for (const entry of this.#distributed) if (entry.startsWith(prefix)) this.#distributed.delete(entry);
  }

  dump(): SavedSenderKeys {
    const records: SavedSenderKeys['records'] = [];
    for (const [holder, held] of this.#records) for (const [name, record] of held) records.push([holder, name, record.serialize()]);
    return { records, distributed: [...this.#distributed] };
  }

  load(saved: SavedSenderKeys): void {
    for (const [holder, name, states] of saved.records) {
      let held = this.#records.get(holder);
      if (!held) {
        held = new Map();
        this.#records.set(holder, held);
      }
      held.set(name, new SenderKeyRecord(states));
    }
    for (const entry of saved.distributed) this.#distributed.add(entry);
  }
}
