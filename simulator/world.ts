// The simulated WhatsApp shared by every connection: users and their LIDs, linked devices, contacts,
// inboxes, which device is online on which connection, and the timers to clear on close.
import { Curve } from '@whiskeysockets/baileys';
import type { BinaryNode, KeyPair } from '@whiskeysockets/baileys';
import { buildCertChain } from './cert-chain.ts';
import type { CertRoot } from './cert-chain.ts';
import type { Connection } from './connection.ts';
import { ContactBook } from './contacts.ts';
import { DeviceRegistry } from './device-registry.ts';
import type { LinkedDevice } from './device-registry.ts';
import { Directory } from './directory.ts';
import { SimulatorEvents } from './events.ts';
import type { ReceiptType } from './events.ts';
import { Inbox } from './inbox.ts';

export type WorldOptions = {
  /** Which root signs the Noise certificate chain; 'wrong' makes a pinned client refuse the server. */
  certRoot: CertRoot;
  /** Receipts every contact sends on its own for each message it receives; false for none. */
  autoReceipts: ReceiptType | false;
  /** How many pair-device refs (QR codes) a new device gets before it must reconnect. */
  qrRefs: number;
};

function deviceKey(phone: string, device: number): string {
  return `${phone}:${device}`;
}

export class World {
  readonly options: WorldOptions;
  readonly directory = new Directory();
  readonly registry = new DeviceRegistry();
  readonly contacts = new ContactBook();
  readonly inbox = new Inbox();
  readonly events = new SimulatorEvents();
  readonly serverStatic: KeyPair = Curve.generateKeyPair();
  readonly certChain: Uint8Array;
  /** Connections showing a QR, by pair-device ref. */
  readonly pendingRefs = new Map<string, Connection>();
  #connections = new Set<Connection>();
  #online = new Map<string, Connection>();
  #timers = new Set<NodeJS.Timeout>();
  #serverIqs = 0;
  #closed = false;

  constructor(options: WorldOptions) {
    this.options = options;
    this.certChain = buildCertChain(this.serverStatic.public, options.certRoot);
  }

  /** Ids for iqs the server sends, distinct from Baileys' "123.456-N" tags. */
  nextIqId(): string {
    return `sim-${++this.#serverIqs}`;
  }

  /** Runs fn after ms unless the simulator closes first. */
  later(ms: number, fn: () => void): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  opened(connection: Connection): void {
    this.#connections.add(connection);
  }

  /** Marks the device online on this connection; returns the connection it had before, if any. */
  attach(connection: Connection, device: LinkedDevice): Connection | undefined {
    const key = deviceKey(device.phone, device.device);
    const previous = this.#online.get(key);
    this.#online.set(key, connection);
    return previous === connection ? undefined : previous;
  }

  closed(connection: Connection): void {
    this.#connections.delete(connection);
    for (const ref of connection.refs) this.pendingRefs.delete(ref);
    const device = connection.device;
    if (device && this.#online.get(deviceKey(device.phone, device.device)) === connection) {
      this.#online.delete(deviceKey(device.phone, device.device));
      this.events.emit('device-disconnected', { phone: device.phone, device: device.device });
    }
  }

  connectionOf(device: LinkedDevice): Connection | undefined {
    return this.#online.get(deviceKey(device.phone, device.device));
  }

  /** Live connections of the phone's linked devices. */
  connectionsOf(phone: string): Connection[] {
    return this.registry.devicesOf(phone).flatMap((device) => this.connectionOf(device) ?? []);
  }

  /** Sends a stanza to the device now if it is online and past login, else queues it for its next login. */
  deliver(device: LinkedDevice, node: BinaryNode): void {
    const connection = this.connectionOf(device);
    if (connection?.ready) connection.send(node);
    else device.offline.push(node);
  }

  /** Ends every connection and timer, so the process can exit. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const connection of this.#connections) connection.terminate();
  }
}
