// Accounts (a phone number with its ADV account key) and the companion devices linked to them, with
// the Signal keys each device published: what the server knows about a device between connections.
import { Curve } from '@whiskeysockets/baileys';
import type { BinaryNode, KeyPair } from '@whiskeysockets/baileys';
import type { Connection } from './connection.ts';

export type SignedPreKey = { id: number; publicKey: Buffer; signature: Buffer };

const PRE_KEY_RECORD = 3 + 32;

/**
 * A device's unused one-time prekeys, each handed out once, oldest first. Packed as 35-byte records
 * (3-byte id, 32-byte key) in one buffer: a thousand devices hold 812 keys each.
 */
export class PreKeyPool {
  #records: Buffer = Buffer.alloc(0);

  get size(): number {
    return this.#records.length / PRE_KEY_RECORD;
  }

  add(keys: { id: number; publicKey: Uint8Array }[]): void {
    const added = Buffer.alloc(keys.length * PRE_KEY_RECORD);
    keys.forEach((key, index) => {
      added.writeUIntBE(key.id, index * PRE_KEY_RECORD, 3);
      added.set(key.publicKey.subarray(0, 32), index * PRE_KEY_RECORD + 3);
    });
    this.#records = Buffer.concat([this.#records, added]);
  }

  /** The packed records, to save the pool; `PreKeyPool.of` restores it. */
  get records(): Buffer {
    return this.#records;
  }

  static of(records: Buffer): PreKeyPool {
    const pool = new PreKeyPool();
    pool.#records = Buffer.from(records);
    return pool;
  }

  take(): { id: number; publicKey: Buffer } | undefined {
    if (this.#records.length < PRE_KEY_RECORD) return undefined;
    const id = this.#records.readUIntBE(0, 3);
    const publicKey = Buffer.from(this.#records.subarray(3, PRE_KEY_RECORD));
    this.#records = this.#records.subarray(PRE_KEY_RECORD);
    return { id, publicKey };
  }
}

/**
 * A contact's message to one device that the device has not receipted yet. WhatsApp keeps it until the
 * receipt comes: a message written to a connection that dies first is delivered again at the next login.
 */
export type UnreceiptedMessage = {
  /** The contact (phone number) that sent it. */
  from: string;
  /** Kept so a retry receipt (the device could not decrypt it) can be answered with a fresh encryption. */
  plaintext: Uint8Array;
  /** The stanza to (re)send: the original ciphertext, or the latest re-encryption after a retry receipt. */
  node: BinaryNode;
  /** The connection it was last written to; undefined while it waits in the offline queue. */
  connection: Connection | undefined;
};

export type LinkedDevice = {
  phone: string;
  device: number;
  keyIndex: number;
  /** Noise static key from registration: the device's identity at login. */
  noiseKey: Buffer;
  /** Signal identity key, 32 raw bytes. */
  identityKey: Buffer;
  registrationId: number;
  signedPreKey: SignedPreKey;
  preKeys: PreKeyPool;
  /** Stanzas for the device that arrived while it was offline, delivered after its next login. */
  offline: BinaryNode[];
  /** Contact messages sent or queued to the device and not receipted yet, by message id. */
  unreceipted: Map<string, UnreceiptedMessage>;
};

export type Account = {
  phone: string;
  /** The phone's ADV account key, which signs every device it links. */
  accountKey: KeyPair;
  devices: Map<number, LinkedDevice>;
  nextDevice: number;
};

export class DeviceRegistry {
  #accounts = new Map<string, Account>();

  account(phone: string): Account {
    let account = this.#accounts.get(phone);
    if (!account) {
      account = { phone, accountKey: Curve.generateKeyPair(), devices: new Map(), nextDevice: 1 };
      this.#accounts.set(phone, account);
    }
    return account;
  }

  /** Reserves the next device number of the phone; numbers are never reused. */
  allocateDevice(phone: string): number {
    return this.account(phone).nextDevice++;
  }

  add(device: LinkedDevice): void {
    this.account(device.phone).devices.set(device.device, device);
  }

  find(phone: string, device: number): LinkedDevice | undefined {
    return this.#accounts.get(phone)?.devices.get(device);
  }

  devicesOf(phone: string): LinkedDevice[] {
    return [...(this.#accounts.get(phone)?.devices.values() ?? [])];
  }

  accounts(): Account[] {
    return [...this.#accounts.values()];
  }

  /** Puts back an account saved by an earlier run (world-file.ts). */
  restore(account: Account): void {
    this.#accounts.set(account.phone, account);
  }

  remove(phone: string, device: number): boolean {
    return this.#accounts.get(phone)?.devices.delete(device) ?? false;
  }
}
