// One client WebSocket: Noise handshake, then registration (QR pairing) or login, then the stanza
// loop. Frames are handled one at a time; the server's own iqs never block that loop.
import { randomBytes } from 'node:crypto';
import { decodeBinaryNode, encodeBinaryNode, getBinaryNodeChild } from '@whiskeysockets/baileys';
import type { BinaryNode, proto } from '@whiskeysockets/baileys';
import type { WebSocket } from 'ws';
import { announcedVersion, CLIENT_TOO_OLD, isOlder } from './client-version.ts';
import { PreKeyPool } from './device-registry.ts';
import type { LinkedDevice, SignedPreKey } from './device-registry.ts';
import { lidJid, phoneJid, SERVER_JID } from './directory.ts';
import { PairingRejected, QrMismatch } from './errors.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import { isGroupJid, onGroupMessage, onGroupReceipt } from './group-delivery.ts';
import { handleIq } from './iq-handlers.ts';
import { onDeviceAck, onDeviceMessage, onDeviceReceipt } from './messaging.ts';
import { onMediaRetryRequest } from './media-retry.ts';
import { NoiseResponder } from './noise.ts';
import { OfflinePager } from './offline-delivery.ts';
import type { NoiseTransport } from './noise.ts';
import { checkDeviceSignature, signDeviceIdentity } from './pairing.ts';
import type { QrData } from './pairing.ts';
import { CONNECTION_REPLACED, LOGIN_REFUSED, RESTART_REQUIRED } from './stream-errors.ts';
import type { World } from './world.ts';
import { onDevicePresence } from './presence.ts';

// How long the server waits for the client to close after a stream error before cutting it off.
// Closing first would race Baileys' async frame decoding and turn e.g. a 515 into a 428.
const CLOSE_GRACE_MS = 2_000;
// A client that has not finished the handshake by then is cut off (Baileys' own connect timeout is 20 s).
const HANDSHAKE_TIMEOUT_MS = 30_000;

type State = 'hello' | 'finish' | 'stanzas' | 'closed';

/** Keys a new device registered with, kept until a phone scans its QR. */
type Registration = {
  identityKey: Buffer;
  registrationId: number;
  signedPreKey: SignedPreKey;
};

type PairOptions = { forgeAccountSignature?: boolean | undefined; linkedAt?: number | undefined };

function uintBE(bytes: Uint8Array | null | undefined): number {
  if (!bytes || bytes.length === 0 || bytes.length > 6) throw new Error('connection: bad big-endian integer');
  return Buffer.from(bytes).readUIntBE(0, bytes.length);
}

export class Connection {
  readonly refs: string[] = [];
  /** The linked device this connection logged in as. */
  device: LinkedDevice | undefined;
  /** True once the device asked to go active: stanzas may then be delivered directly. */
  ready = false;
  /**
   * A stalled connection stays open but the server neither reads nor writes on it (pings go unanswered,
   * messages written to it never arrive), as when WhatsApp's front end holds a socket its backend dropped.
   * It ends with the connection: the device's next login is served normally.
   */
  stalled = false;
  #ws: WebSocket;
  #world: World;
  #state: State = 'hello';
  #reader = new FrameReader();
  #noise: NoiseResponder | undefined;
  #transport: NoiseTransport | undefined;
  #clientStatic: Buffer | undefined;
  #registration: Registration | undefined;
  #pairing: { reject: (error: Error) => void } | undefined;
  #queue: Promise<void> = Promise.resolve();
  #serverIqs = new Map<string, (answer: BinaryNode) => void>();
  #closeTimer: NodeJS.Timeout | undefined;
  #pager: OfflinePager | undefined;
  #handshakeTimer: NodeJS.Timeout;

  constructor(ws: WebSocket, world: World) {
    this.#ws = ws;
    this.#world = world;
    world.opened(this);
    this.#handshakeTimer = setTimeout(() => this.terminate(), HANDSHAKE_TIMEOUT_MS).unref();
    ws.on('message', (data: Buffer) => this.#receive(data));
    ws.on('close', () => this.#onClose());
    ws.on('error', () => this.terminate());
  }

  get phone(): string | undefined {
    return this.device?.phone;
  }

  /** Encrypts and sends one stanza; a no-op once the connection is closing. */
  send(node: BinaryNode): void {
    if (this.#state !== 'stanzas' || !this.#transport || this.stalled) return;
    this.#ws.send(encodeFrame(this.#transport.encrypt(encodeBinaryNode(node))));
  }

  /** Sends an iq and calls onAnswer with the client's result or error, without blocking the loop. */
  query(node: BinaryNode, onAnswer: (answer: BinaryNode) => void): void {
    const id = this.#world.nextIqId();
    this.#serverIqs.set(id, onAnswer);
    this.send({ ...node, attrs: { ...node.attrs, id } });
  }

  /** Sends a final stanza (stream error, failure) and lets the client close, cutting it off if it does not. */
  end(finalNode: BinaryNode): void {
    this.send(finalNode);
    this.ready = false;
    this.#state = 'closed';
    this.#closeTimer ??= setTimeout(() => this.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** Cuts the TCP connection with no goodbye: the client sees the socket close. */
  terminate(): void {
    this.ready = false;
    this.#state = 'closed';
    this.#ws.terminate();
  }

  /** Delivers what arrived while the device was offline, in the pages it asks for, then goes live. */
  goOnline(): void {
    const device = this.device;
    if (!device || this.ready || this.#pager) return;
    this.#pager = new OfflinePager({
      send: (node) => this.send(node),
      takeWaiting: () => this.#world.takeBacklog(device, this),
      onDone: () => {
        this.ready = true;
      },
    });
    this.#pager.start();
  }

  /**
   * The phone scanning this connection's QR: signs the device into the phone's account and resolves
   * once the device counter-signed (then restarts it with 515), or rejects if it refused.
   */
  pair(qr: QrData, phone: string, options: PairOptions): Promise<{ jid: string }> {
    const registration = this.#registration;
    if (!registration || !this.#clientStatic?.equals(qr.noiseKey) || !registration.identityKey.equals(qr.identityKey)) {
      return Promise.reject(new QrMismatch('the QR keys do not match the device showing it'));
    }
    if (this.#pairing) return Promise.reject(new QrMismatch('this device is already being paired'));
    const world = this.#world;
    const account = world.registry.account(phone);
    const device = world.registry.allocateDevice(phone);
    const jid = phoneJid(phone, device);
    const lid = lidJid(world.directory.lidOf(phone), device);
    const identity = signDeviceIdentity({
      accountKey: account.accountKey,
      identityKey: registration.identityKey,
      advSecret: qr.advSecret,
      keyIndex: device,
      forgeAccountSignature: options.forgeAccountSignature,
      linkedAt: options.linkedAt,
    });
    return new Promise((resolve, reject) => {
      this.#pairing = { reject };
      this.query(
        {
          tag: 'iq',
          attrs: { from: SERVER_JID, type: 'set', xmlns: 'md' },
          content: [
            {
              tag: 'pair-success',
              attrs: {},
              content: [
                { tag: 'device-identity', attrs: { 'key-index': String(device) }, content: identity },
                { tag: 'platform', attrs: { name: 'android' } },
                { tag: 'device', attrs: { jid, lid } },
              ],
            },
          ],
        },
        (answer) => {
          this.#pairing = undefined;
          const signed = getBinaryNodeChild(getBinaryNodeChild(answer, 'pair-device-sign'), 'device-identity');
          const content = signed?.content;
          if (
            answer.attrs.type !== 'result' ||
            !(content instanceof Uint8Array) ||
            !checkDeviceSignature(content, registration.identityKey, account.accountKey)
          ) {
            reject(new PairingRejected('the device did not counter-sign its identity'));
            this.terminate();
            return;
          }
          // The QR is used up: a second scan of it must not link another device.
          for (const ref of this.refs) world.pendingRefs.delete(ref);
          world.registry.add({
            phone,
            device,
            keyIndex: device,
            noiseKey: qr.noiseKey,
            identityKey: registration.identityKey,
            registrationId: registration.registrationId,
            signedPreKey: registration.signedPreKey,
            preKeys: new PreKeyPool(),
            offline: [],
            unreceipted: new Map(),
          });
          world.events.emit('device-linked', { phone, device, jid });
          resolve({ jid });
          this.end(RESTART_REQUIRED);
        },
      );
    });
  }

  #receive(data: Buffer): void {
    if (this.#state === 'closed' || this.stalled) return;
    let frames: Buffer[];
    try {
      frames = this.#reader.push(data);
    } catch (error) {
      this.#fail(error);
      return;
    }
    for (const frame of frames) {
      this.#queue = this.#queue.then(() => this.#handleFrame(frame)).catch((error: unknown) => this.#fail(error));
    }
  }

  async #handleFrame(frame: Buffer): Promise<void> {
    switch (this.#state) {
      case 'hello': {
        this.#noise = new NoiseResponder(this.#world.serverStatic, this.#world.certChain);
        this.#ws.send(encodeFrame(this.#noise.respondToHello(frame)));
        this.#state = 'finish';
        return;
      }
      case 'finish': {
        const { transport, clientStatic, clientPayload } = this.#noise!.finish(frame);
        this.#noise = undefined;
        this.#transport = transport;
        this.#clientStatic = clientStatic;
        this.#state = 'stanzas';
        clearTimeout(this.#handshakeTimer);
        const minimum = this.#world.minClientVersion;
        const version = announcedVersion(clientPayload);
        if (minimum && isOlder(version, minimum)) {
          this.#world.events.emit('client-too-old', { version: version.join('.'), minimum: minimum.join('.') });
          this.end(CLIENT_TOO_OLD);
          return;
        }
        if (clientPayload.devicePairingData) this.#register(clientPayload.devicePairingData);
        else this.#login(clientPayload);
        return;
      }
      case 'stanzas': {
        const node = await decodeBinaryNode(this.#transport!.decrypt(frame));
        await this.#dispatch(node);
        return;
      }
      case 'closed':
        return;
    }
  }

  async #dispatch(node: BinaryNode): Promise<void> {
    if (node.tag === 'iq') {
      const { type, id } = node.attrs;
      const onAnswer = id !== undefined && (type === 'result' || type === 'error') ? this.#serverIqs.get(id) : undefined;
      if (onAnswer) {
        this.#serverIqs.delete(id!);
        onAnswer(node);
        return;
      }
      handleIq(this.#world, this, node);
      return;
    }
    if (!this.device) return;
    const toGroup = isGroupJid(node.attrs.to);
    if (node.tag === 'message' && toGroup) await onGroupMessage(this.#world, this, this.device, node);
    else if (node.tag === 'message') await onDeviceMessage(this.#world, this, this.device, node);
    else if (node.tag === 'receipt' && node.attrs.type === 'server-error') await onMediaRetryRequest(this.#world, this.device, node);
    else if (node.tag === 'receipt' && toGroup) onGroupReceipt(this.#world, this.device, node);
    else if (node.tag === 'receipt') await onDeviceReceipt(this.#world, this.device, node);
    else if (node.tag === 'ack') onDeviceAck(this.#world, this.device, node);
    else if (node.tag === 'presence' || node.tag === 'chatstate') onDevicePresence(this.#world, this.device, node);
    else if (node.tag === 'ib') {
      const batch = getBinaryNodeChild(node, 'offline_batch');
      if (batch) {
        const count = Number(batch.attrs.count);
        this.#world.events.emit('offline-batch-requested', { phone: this.device.phone, device: this.device.device, count });
        this.#pager?.onBatchRequest(count);
      }
    }
    // Telemetry ibs need no answer.
  }

  #register(data: proto.ClientPayload.IDevicePairingRegistrationData): void {
    this.#registration = {
      identityKey: Buffer.from(data.eIdent ?? []),
      registrationId: uintBE(data.eRegid),
      signedPreKey: {
        id: uintBE(data.eSkeyId),
        publicKey: Buffer.from(data.eSkeyVal ?? []),
        signature: Buffer.from(data.eSkeySig ?? []),
      },
    };
    for (let i = 0; i < this.#world.options.qrRefs; i++) {
      // Real refs look like "2@<base64>"; base64 has no comma, which would break the QR string.
      const ref = `2@${randomBytes(18).toString('base64')}`;
      this.refs.push(ref);
      this.#world.pendingRefs.set(ref, this);
    }
    this.query(
      {
        tag: 'iq',
        attrs: { from: SERVER_JID, type: 'set', xmlns: 'md' },
        content: [
          {
            tag: 'pair-device',
            attrs: {},
            content: this.refs.map((ref) => ({ tag: 'ref', attrs: {}, content: ref })),
          },
        ],
      },
      () => {},
    );
  }

  #login(payload: proto.ClientPayload): void {
    const world = this.#world;
    const phone = payload.username === null || payload.username === undefined ? '' : String(payload.username);
    const device = world.registry.find(phone, payload.device ?? 0);
    if (!device || !this.#clientStatic?.equals(device.noiseKey)) {
      this.end(LOGIN_REFUSED);
      return;
    }
    this.device = device;
    const replaced = world.attach(this, device);
    if (replaced) {
      replaced.end(CONNECTION_REPLACED);
      world.events.emit('device-replaced', { phone, device: device.device });
    }
    this.send({
      tag: 'success',
      attrs: {
        t: String(Math.floor(Date.now() / 1000)),
        // Always send lid: Baileys re-emits creds.me with it, so leaving it out would erase me.lid.
        lid: lidJid(world.directory.lidOf(phone), device.device),
        location: 'simulator',
      },
    });
    world.events.emit('device-connected', { phone, device: device.device });
  }

  #fail(error: unknown): void {
    this.#world.events.emit('client-error', {
      phone: this.phone,
      error: error instanceof Error ? error : new Error(String(error)),
    });
    this.terminate();
  }

  #onClose(): void {
    this.#state = 'closed';
    clearTimeout(this.#closeTimer);
    clearTimeout(this.#handshakeTimer);
    this.#serverIqs.clear();
    this.#pairing?.reject(new PairingRejected('the device disconnected before pairing completed'));
    this.#pairing = undefined;
    this.#world.closed(this);
  }
}
