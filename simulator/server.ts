// Starts the simulator: one loopback HTTP server carrying the WhatsApp WebSocket (any /ws path) and
// the control API, an HTTPS media host beside it, plus the same scenario operations as methods for in-process tests.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Addressing } from './addressing.ts';
import type { CertRoot } from './cert-chain.ts';
import type { ClientVersion } from './client-version.ts';
import type { TextShape } from './message-content.ts';
import { Connection } from './connection.ts';
import { controlApi } from './control-api.ts';
import type { ReceiptType, SimulatorEvents } from './events.ts';
import { drop, replace, stall, streamError } from './faults.ts';
import type { ParticipantAction } from './group-changes.ts';
import { contactGroupSend } from './group-delivery.ts';
import type { GroupPostOptions } from './group-delivery.ts';
import { sendGroupReceipt } from './group-receipts.ts';
import { contactChangesParticipants, contactCreatesGroup, contactSetsSubject, viewGroup } from './group-scenarios.ts';
import type { GroupView, ParticipantOutcome } from './group-scenarios.ts';
import type { GroupAddressing } from './groups.ts';
import type { SendRefusal } from './send-refusals.ts';
import { setReachoutLock, type ReachoutLock } from './reachout-locks.ts';
import type { StreamErrorKind } from './stream-errors.ts';
import type { InboxMessage } from './inbox.ts';
import { enterPairingCode } from './link-code.ts';
import { scan, unlink } from './linking.ts';
import type { ScanOptions } from './linking.ts';
import { contactSend, contactSendMessage, sendReceipt } from './messaging.ts';
import { contactMessage, type ContactContent } from './contact-content.ts';
import type { ContactProfile } from './contact-profiles.ts';
import { contactPresence, type ContactPresence } from './presence.ts';
import { DEFAULT_RECEIPT_DELAY_MS, randomSeed, receiptDelays } from './receipt-timing.ts';
import { keepWorldInFile, readWorldFile, restoreWorld } from './world-file.ts';
import { pushAfterPairing } from './after-pairing.ts';
import { pushHistory, type HistoryChat, type HistorySyncTypeName } from './history-sync.ts';
import { phoneSend } from './phone-sends.ts';
import { reinstallContact } from './contact-reinstall.ts';
import { sendReceiptList } from './receipt-lists.ts';
import { requestRetry } from './retry-requests.ts';
import { World } from './world.ts';
import { startMediaServer } from './media-server.ts';
import { contactSendMedia, type ContactMedia } from './media-send.ts';
import { expireMedia } from './media-retry.ts';
import { MediaStore } from './media-store.ts';

export type ContactSendOptions = {
  /** How WhatsApp names the sender: by phone number (default), by LID with the number, or by LID alone. */
  addressing?: Addressing;
  /** conversation (default), extendedTextMessage, or inside an ephemeral (disappearing) wrapper. */
  shape?: TextShape;
  /** The contact's push name, sent as `notify`. */
  pushName?: string;
  /** Which of the contact's devices sends it: 0 (its phone, the default) or a companion from addContactDevice. */
  device?: number;
};

export type SimulatorOptions = {
  /** 0 picks a free port. */
  port?: number;
  /** The HTTPS media host's port (0, the default, picks a free one); media_conn announces it. */
  mediaPort?: number;
  /** Loopback by default: the control API has no authentication. */
  host?: string;
  /** 'wrong' presents a certificate chain signed by a root nobody trusts. */
  certRoot?: CertRoot;
  /** Receipts contacts send by themselves for every message they receive. */
  autoReceipts?: ReceiptType | false;
  /** QR codes a new device gets per connection (WhatsApp sends 6). */
  qrRefs?: number;
  /** Receipts come after 0 to this many ms, as WhatsApp's do (300 by default); 0 sends them at once. */
  receiptDelayMaxMs?: number;
  /** The oldest client version accepted (older get a 405 failure, as from WhatsApp); any by default. */
  minClientVersion?: ClientVersion;
  /** Seeds the receipt delays; random by default. The seed used is `Simulator.seed`, to replay a run. */
  seed?: number;
  /**
   * A JSON file that keeps the world (devices, keys, contacts, inboxes, pending messages) across runs:
   * loaded at start, saved after changes and on close. In memory only by default.
   */
  statePath?: string;
  /**
   * The phone pushes the initial history bootstrap and app-state sync keys to a device at its first login
   * after pairing, as WhatsApp does. Off by default here (tests push history themselves); on under `npm start`.
   */
  historyAfterPairing?: boolean;
};

export type Simulator = {
  /** HTTP base, e.g. "http://127.0.0.1:8790". */
  url: string;
  /** What Baileys' waWebSocketUrl should be. */
  wsUrl: string;
  port: number;
  /** The HTTPS media host, e.g. "https://localhost:40123"; clients trust MEDIA_TEST_CA (media-tls.ts) for it. */
  mediaUrl: string;
  mediaPort: number;
  /** The seed of this run's receipt delays. */
  seed: number;
  events: SimulatorEvents;
  /** The phone `phone` scans the QR string Baileys emitted; resolves once the device accepted pairing. */
  scan(qr: string, phone: string, options?: ScanOptions): Promise<{ jid: string }>;
  /** The phone `phone` enters the pairing code its device shows ("ABCD-EFGH"); resolves once it is linked. */
  enterPairingCode(phone: string, code: string): Promise<{ jid: string }>;
  /** Contact `from` sends `text` to the devices linked to phone `to`, addressed by phone number unless told. */
  contactSend(from: string, to: string, text: string, options?: ContactSendOptions): Promise<{ id: string }>;
  /** Contact `from` sends media (encrypted, uploaded to the media host) to the devices linked to phone `to`. */
  contactSendMedia(from: string, to: string, media: ContactMedia, options?: ContactSendOptions): Promise<{ id: string }>;
  /** The media host drops a blob (by direct path, or the contact message carrying it): downloads get 410 until the phone re-uploads it. */
  expireMedia(target: { directPath: string } | { messageId: string }): Promise<{ directPath: string }>;
  /** Contact `from` sends any kind of message (reply, reaction, edit, revoke, poll, vote, location, contacts) to phone `to`. */
  contactSendContent(from: string, to: string, content: ContactContent, options?: Omit<ContactSendOptions, 'shape'>): Promise<{ id: string }>;
  /** Marks a number on or off WhatsApp, or gives it a profile picture URL. */
  setContact(phone: string, profile: Partial<ContactProfile>): ContactProfile;
  /** Contact `from` shows availability or a chatstate to phone `to`'s devices subscribed to it; how many got it. */
  contactPresence(from: string, to: string, state: ContactPresence): { devices: number };
  /** The recipient of device-sent messages `ids` (one chat) receipts them all at once, in one `<list>` receipt. */
  receiptList(ids: string[], type: ReceiptType): void;
  /** The user types `text` to contact `to` on phone `phone` itself; its linked devices get the synced copy. */
  phoneSend(phone: string, to: string, text: string): Promise<{ id: string }>;
  /** The phone pushes a history chunk (inline; an initial bootstrap unless told) of these chats, with their LID-phone mappings, to its linked devices. */
  pushHistory(phone: string, chats: HistoryChat[], syncType?: HistorySyncTypeName): Promise<{ id: string }>;
  /**
   * Contact `from` posts `text` in group `group` (id with or without "@g.us"): the members' linked devices get
   * its sender key, then the skmsg, addressed with `participant` as WhatsApp does.
   */
  groupSend(group: string, from: string, text: string, options?: GroupPostOptions): Promise<{ id: string }>;
  /** Member `member` sends a delivered or read receipt for group message `id` it received; Baileys sees `message-receipt.update`. */
  groupReceipt(id: string, member: string, type: ReceiptType): void;
  /**
   * Contact `creator` creates a group with `participants` (phones, the Baileys account's among them), LID-addressed
   * unless told; members' devices get the `create` notification. Those that cannot be added get their status.
   */
  createGroup(creator: string, subject: string, participants: string[], options?: { addressing?: GroupAddressing }): { id: string; participants: ParticipantOutcome[] };
  /** Member `by` (an admin) adds, removes, promotes or demotes; a status per participant, as WhatsApp answers. */
  groupParticipants(group: string, by: string, action: ParticipantAction, participants: string[]): ParticipantOutcome[];
  /** Member `by` changes the group's subject. */
  setGroupSubject(group: string, by: string, subject: string): void;
  /** The group as the server holds it. */
  group(id: string): GroupView;
  /** Whether `phone` is on WhatsApp (usync `contact type`, group adds answer 404) and lets others add it to groups (403). */
  setNumber(phone: string, settings: { onWhatsApp?: boolean; groupAdds?: 'everyone' | 'nobody' }): void;
  /** What contact `phone` has received from linked devices, decrypted, oldest first. */
  inbox(phone: string): InboxMessage[];
  /** How many times a contact got message `id` again after it had it (shown once, as a phone shows it). */
  duplicates(id: string): number;
  /** The recipient of message `id` (sent by a device) sends a receipt for it, from its `device` (0 by default). */
  receipt(id: string, type: ReceiptType, device?: number): void;
  /** How many privacy tokens the devices of `phone` issued to contact `contact` (privacy-tokens.ts). */
  privacyTokensIssued(phone: string, contact: string): number;
  /** One-time prekeys of contact `phone`'s phone handed out in bundles, and those not yet used by a pkmsg. */
  preKeyCounts(phone: string): { handedOut: number; unused: number };
  /**
   * Contact `phone` links a companion device: usync lists it, Baileys encrypts to it, it can send and receipt.
   * With `publishKeys: false` the server holds no keys for it yet: key fetches leave it out.
   */
  addContactDevice(phone: string, options?: { publishKeys?: boolean }): { device: number };
  /** The recipient of device-sent message `id` cannot decrypt it and sends a retry receipt (retry number `count`). */
  retryReceipt(id: string, count?: number): void;
  /**
   * Contact `phone` reinstalls WhatsApp: new identity keys, no Signal sessions; linked devices get the
   * identity-change notification (`notified` of them), unless `notify` is false.
   */
  reinstallContact(phone: string, options?: { notify?: boolean }): { notified: number };
  /** The phone unlinks all its devices; connected ones are logged out (401). */
  unlink(phone: string): { devices: number };
  /** Cuts the phone's device connections (the client sees a plain close). */
  drop(phone: string): { connections: number };
  /** Tells the phone's device connections another client replaced them (440). */
  replace(phone: string): { connections: number };
  /** Ends the phone's device connections with a mid-session stream error or the end of the stream. */
  streamError(phone: string, kind: StreamErrorKind): { connections: number };
  /**
   * Messages from `from`'s devices to contact `to` get an error ack with `refusal.code` (after
   * `refusal.delayMs`) and are not delivered; without a refusal, they are delivered again.
   */
  refuseSends(from: string, to: string, refusal?: SendRefusal): void;
  /**
   * WhatsApp puts a reach-out time lock on `phone`'s account (or, with no lock, lifts it) and tells its
   * linked devices with the `mex` notification (reachout-locks.ts).
   */
  reachoutLock(phone: string, lock?: ReachoutLock): { devices: number };
  /** From now on, clients older than `version` are refused at login or registration (405); undefined accepts any. */
  requireClientVersion(version: ClientVersion | undefined): void;
  /** Stalls the phone's device connections: open, but no answer and no delivery until they close. */
  stall(phone: string): { connections: number };
  /** Ends every connection and timer and stops listening. */
  close(): Promise<void>;
};

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? randomSeed();
  const saved = options.statePath ? readWorldFile(options.statePath) : undefined;
  const world = new World({
    certRoot: options.certRoot ?? 'test',
    autoReceipts: options.autoReceipts ?? false,
    qrRefs: options.qrRefs ?? 6,
    receiptDelay: receiptDelays({ maxDelayMs: options.receiptDelayMaxMs ?? DEFAULT_RECEIPT_DELAY_MS, seed }),
    serverStatic: saved?.serverStatic,
  });
  if (saved) restoreWorld(world, saved);
  if (options.historyAfterPairing) pushAfterPairing(world);
  const keeper = options.statePath ? keepWorldInFile(world, options.statePath) : undefined;
  // Deflate off: frames are already encrypted, so compressing them only costs CPU.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const http = createServer();
  http.on('upgrade', (req, socket, head) => {
    if (!(req.url ?? '').startsWith('/ws')) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => new Connection(ws, world));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  world.minClientVersion = options.minClientVersion;
  const store = await MediaStore.open(options.statePath);
  const mediaServer = await startMediaServer(() => world.media!, world.events, { host, port: options.mediaPort ?? 0 }).catch(async (error: unknown) => {
    // A busy media port must not leave the other listener open.
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await store.close();
    throw error;
  });
  world.media = { hostname: `localhost:${mediaServer.port}`, auth: randomBytes(24).toString('base64url'), store };
  const { port } = http.address() as AddressInfo;
  const base = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const simulator: Simulator = {
    url: `http://${base}`,
    wsUrl: `ws://${base}/ws/chat`,
    port,
    mediaUrl: mediaServer.url,
    mediaPort: mediaServer.port,
    seed,
    events: world.events,
    scan: (qr, phone, scanOptions) => scan(world, qr, phone, scanOptions),
    enterPairingCode: (phone, code) => enterPairingCode(world, phone, code),
    contactSend: (from, to, text, sendOptions) => contactSend(world, from, to, text, sendOptions),
    contactSendMedia: (from, to, media, sendOptions) => contactSendMedia(world, from, to, media, sendOptions),
    expireMedia: (target) => expireMedia(world, target),
    contactSendContent: async (from, to, content, sendOptions) => contactSendMessage(world, from, to, contactMessage(world.inbox, from, to, content), sendOptions),
    setContact: (phone, profile) => world.profiles.set(phone, profile),
    contactPresence: (from, to, state) => contactPresence(world, from, to, state),
    phoneSend: (phone, to, text) => phoneSend(world, phone, to, text),
    pushHistory: (phone, chats, syncType) => pushHistory(world, phone, chats, syncType),
    groupSend: (group, from, text, sendOptions) => contactGroupSend(world, group, from, text, sendOptions),
    groupReceipt: (id, member, type) => sendGroupReceipt(world, id, member, type),
    createGroup: (creator, subject, participants, groupOptions) => contactCreatesGroup(world, creator, subject, participants, groupOptions?.addressing),
    groupParticipants: (group, by, action, participants) => contactChangesParticipants(world, group, by, action, participants),
    setGroupSubject: (group, by, subject) => contactSetsSubject(world, group, by, subject),
    group: (id) => viewGroup(world, id),
    setNumber: (phone, settings) => {
      if (settings.onWhatsApp !== undefined) world.profiles.set(phone, { registered: settings.onWhatsApp });
      if (settings.groupAdds !== undefined) world.refusesGroupAdds[settings.groupAdds === 'nobody' ? 'add' : 'delete'](phone);
    },
    inbox: (phone) => world.inbox.messagesOf(phone),
    duplicates: (id) => world.inbox.duplicates.get(id) ?? 0,
    receipt: (id, type, device) => sendReceipt(world, id, type, device),
    preKeyCounts: (phone) => world.contacts.get(phone).preKeyCounts(),
    addContactDevice: (phone, deviceOptions) => {
      const { device } = world.contacts.addDevice(phone, world.registry.allocateDevice(phone));
      if (deviceOptions?.publishKeys === false) world.unpublishedKeys.add(`${phone}.${device}`);
      return { device };
    },
    retryReceipt: (id, count) => requestRetry(world, id, count),
    receiptList: (ids, type) => sendReceiptList(world, ids, type),
    reinstallContact: (phone, reinstallOptions) => reinstallContact(world, phone, reinstallOptions),
    unlink: (phone) => unlink(world, phone),
    drop: (phone) => drop(world, phone),
    replace: (phone) => replace(world, phone),
    streamError: (phone, kind) => streamError(world, phone, kind),
    requireClientVersion: (version) => {
      world.minClientVersion = version;
    },
    refuseSends: (from, to, refusal) => {
      if (refusal) world.refusals.set(from, to, refusal);
      else world.refusals.clear(from, to);
    },
    reachoutLock: (phone, lock) => setReachoutLock(world, phone, lock),
    privacyTokensIssued: (phone, contact) => world.privacyTokens.issued(phone, contact),
    stall: (phone) => stall(world, phone),
    close: async () => {
      keeper?.stop();
      world.close();
      keeper?.save();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await mediaServer.close();
      await store.close();
    },
  };
  http.on('request', controlApi(simulator));
  return simulator;
}
