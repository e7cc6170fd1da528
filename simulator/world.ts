// The simulated WhatsApp shared by every connection: users and their LIDs, linked devices, contacts,
// inboxes, which device is online on which connection, contact messages awaiting a device's receipt
// (redelivered after a lost connection), and the timers to clear on close.
import { Curve } from '@whiskeysockets/baileys';
import type { BinaryNode, KeyPair } from '@whiskeysockets/baileys';
import { buildCertChain } from './cert-chain.ts';
import type { ClientVersion } from './client-version.ts';
import type { CertRoot } from './cert-chain.ts';
import type { Connection } from './connection.ts';
import { ContactBook } from './contacts.ts';
import { DeviceRegistry } from './device-registry.ts';
import type { LinkedDevice, UnreceiptedMessage } from './device-registry.ts';
import { Directory } from './directory.ts';
import { SimulatorEvents } from './events.ts';
import type { ReceiptType } from './events.ts';
import { GroupStore } from './groups.ts';
import { Inbox } from './inbox.ts';
import type { MediaHost } from './media-server.ts';
import { ContactProfiles } from './contact-profiles.ts';
import { Presences } from './presence.ts';
import { SendRefusals } from './send-refusals.ts';
import { PrivacyTokens } from './privacy-tokens.ts';
import { ReachoutLocks } from './reachout-locks.ts';
import { SenderKeys } from './sender-keys.ts';
import type { PendingLinkCode } from './link-code.ts';

export type WorldOptions = {
  /** Which root signs the Noise certificate chain; 'wrong' makes a pinned client refuse the server. */
  certRoot: CertRoot;
  /** Receipts every contact sends on its own for each message it receives; false for none. */
  autoReceipts: ReceiptType | false;
  /** How many pair-device refs (QR codes) a new device gets before it must reconnect. */
  qrRefs: number;
  /** The next receipt's delay in ms (see receipt-timing.ts). */
  receiptDelay: () => number;
  /** The server's Noise key of an earlier run (world-file.ts); a new one by default. */
  serverStatic?: KeyPair | undefined;
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
  readonly profiles = new ContactProfiles();
  readonly presences = new Presences();
  readonly refusals = new SendRefusals();
  readonly reachoutLocks = new ReachoutLocks();
  readonly privacyTokens = new PrivacyTokens();
  readonly groups = new GroupStore();
  /** The contacts' group sender keys (sender-keys.ts). */
  readonly senderKeys = new SenderKeys();
  /**
   * Contact devices ("phone.device") listed in usync whose keys the server does not hold (a companion whose
   * upload has not landed): key fetches leave them out.
   */
  readonly unpublishedKeys = new Set<string>();
  /** Numbers whose privacy settings refuse being added to groups (a group add answers 403). */
  readonly refusesGroupAdds = new Set<string>();
  readonly events = new SimulatorEvents();
  readonly serverStatic: KeyPair;
  readonly certChain: Uint8Array;
  /** The oldest client version allowed to connect; older ones get a 405 failure. Any, when unset. */
  minClientVersion: ClientVersion | undefined;
  /** The media host (media_conn, uploads, downloads); set once it listens. */
  media: MediaHost | undefined;
  /** Retry receipts contacts sent for device messages they could not decrypt, by message id. */
  readonly decryptRetries = new Map<string, number>();
  /** Connections showing a QR, by pair-device ref. */
  readonly pendingRefs = new Map<string, Connection>();
  /** Devices waiting for a pairing code to be entered, by the phone number they asked for. */
  readonly pendingCodes = new Map<string, PendingLinkCode>();
  #connections = new Set<Connection>();
  #online = new Map<string, Connection>();
  #timers = new Set<NodeJS.Timeout>();
  #serverIqs = 0;
  #closed = false;

  constructor(options: WorldOptions) {
    this.options = options;
    this.serverStatic = options.serverStatic ?? Curve.generateKeyPair();
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
    for (const [phone, pending] of this.pendingCodes) if (pending.connection === connection) this.pendingCodes.delete(phone);
    const device = connection.device;
    // Before device-disconnected, so whoever waits for it sees the messages already queued again.
    if (device) this.#requeue(device, connection);
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

  /**
   * Sends a contact's message to the device now (if online and past login) or queues it, and keeps it
   * until the device receipts it, so a connection that dies before the receipt does not lose it.
   */
  deliverMessage(device: LinkedDevice, id: string, message: Omit<UnreceiptedMessage, 'connection'>): void {
    const connection = this.connectionOf(device);
    const live = connection?.ready ? connection : undefined;
    device.unreceipted.set(id, { ...message, connection: live });
    if (live) live.send(message.node);
    else device.offline.push(message.node);
  }

  /**
   * Sends a message again after it was re-encrypted (retry receipt), if the connection it was last
   * written to is still live; otherwise its close or the offline flush sends the new stanza.
   */
  resend(message: UnreceiptedMessage): void {
    if (message.connection?.ready) message.connection.send(message.node);
  }

  /** The device receipted message `id`: it is settled and never redelivered. False if it was not pending. */
  receipted(device: LinkedDevice, id: string): boolean {
    return device.unreceipted.delete(id);
  }

  /**
   * Takes the device's offline queue for a connection going online, marked offline as WhatsApp does.
   * Messages receipted meanwhile are left out, and the others are written with their latest stanza
   * (a re-encryption may have replaced the queued one) and tracked on this connection again.
   */
  takeBacklog(device: LinkedDevice, connection: Connection): BinaryNode[] {
    const backlog: BinaryNode[] = [];
    for (const queued of device.offline.splice(0)) {
      let node = queued;
      if (queued.tag === 'message') {
        const message = queued.attrs.id ? device.unreceipted.get(queued.attrs.id) : undefined;
        if (!message || message.connection === connection) continue;
        message.connection = connection;
        node = message.node;
      }
      backlog.push({ ...node, attrs: { ...node.attrs, offline: '1' } });
    }
    return backlog;
  }

  /**
   * The connection closed with messages it carried still unreceipted: the device gets them again, at
   * once if it is already live on another connection (it replaced this one), else after its next login,
   * ahead of what was queued since (they are older).
   */
  #requeue(device: LinkedDevice, connection: Connection): void {
    const ids: string[] = [];
    const messages: UnreceiptedMessage[] = [];
    for (const [id, message] of device.unreceipted) {
      if (message.connection !== connection) continue;
      ids.push(id);
      messages.push(message);
    }
    if (ids.length === 0) return;
    const current = this.connectionOf(device);
    const live = current !== connection && current?.ready ? current : undefined;
    for (const message of messages) {
      message.connection = live;
      if (live) live.send({ ...message.node, attrs: { ...message.node.attrs, offline: '1' } });
    }
    if (!live) device.offline.unshift(...messages.map((message) => message.node));
    this.events.emit('messages-requeued', { phone: device.phone, device: device.device, ids });
  }

  /** Ends every connection and timer, so the process can exit. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const connection of this.#connections) connection.terminate();
  }
}
