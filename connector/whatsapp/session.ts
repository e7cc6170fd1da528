// One WhatsApp session's lifecycle: opens Baileys sockets with the stored auth state, follows
// connection updates (QR, open, close -> restart / backoff / logged out), and turns messages into events.
import {
  areJidsSameUser,
  type AnyMessageContent,
  generateMessageIDV2,
  jidNormalizedUser,
  makeCacheableSignalKeyStore,
  type BaileysEventMap,
  type BinaryNode,
  type CacheStore,
  type SignalKeyStore,
  type UserFacingSocketConfig,
  type WAMessage,
  type WAMessageKey,
  type WASocket,
} from '@whiskeysockets/baileys';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { CommitGroup } from '../commit-group.ts';
import type { CommandData, PairingCodeResult, SendFailure, SendTextResult, SessionEvent } from '../../shared/protocol.ts';
import type { SentRecord } from './sent-record.ts';
import type { MediaReceiver } from '../media/media-receiver.ts';
import { announcedMedia, incomingMediaEvent } from './incoming-media.ts';
import type { SessionStatus, StatusReasonCode } from '../../shared/status.ts';
import { nextReconnectDelay } from '../reconnect-delay.ts';
import type { AuthStore, SessionAuth } from './auth-state.ts';
import type { DeviceUnlinker } from './device-unlinker.ts';
import { classifyDisconnect, closeCause, closeReason, reasonForClose, WaStatusCode, type DisconnectAction } from './disconnect.ts';
import { createKeyCache } from './key-cache.ts';
import { linkTimeOf } from './link-time.ts';
import { DEFAULT_HISTORY_SYNC, historySyncConfig } from './history-sync.ts';
import { bareLid, chatParty, incomingTextEvent, messageEventId, messageStatusName, phoneFromJid, timestampMs, type StatusChange } from './events.ts';
import { warningOfReachoutLock, type SessionWarning } from '../queue/warning-signs.ts';
import type { MessageStatusStore } from './message-status-store.ts';
import { MessageStatuses } from './message-statuses.ts';
import { phoneSentEvent, phoneSentEventId } from './phone-messages.ts';
import { receiptStatus } from './receipt-statuses.ts';
import type { RecentMessages } from './recent-messages.ts';
import type { ActionContext } from './message-actions.ts';
import { chatActionEvent, incomingKindEvent, pollVoteEvent, replyToOf, votedPollId, type Sender } from './incoming-kinds.ts';
import { presenceEvents } from './presence-events.ts';
import { qrEvent } from './qr.ts';
import { sendFailure } from './send-failure.ts';
import { GroupMetadataCache } from './group-metadata-cache.ts';
import { groupSender, isFullMetadata, isGroupJid, joinedEvents, leftEvent, ownChangeEvents, participantsChange, updatedEvents } from './group-events.ts';
import { groupRunner, groupSummary, type GroupCommand } from './groups.ts';
import { recipientJid } from './recipient.ts';
import { UnackedSends } from './unacked-sends.ts';
import { paceMediaBytes } from '../media/scavenge-pacer.ts';
import { statusAfterClose, statusFromConnectionUpdate } from './status.ts';

/**
 * Baileys' config plus the hooks our patch adds (connector/patches): `beforeMessageReceipt` is awaited for each
 * decrypted incoming message before Baileys sends the delivery receipt, after which WhatsApp would never
 * redeliver it (and so is the function it may hand back, once the Signal key transaction committed);
 * `messageTransactionScope` wraps that transaction; `onMediaUploadBytes` hears of each chunk of a media upload as it is read from its file.
 */
export type PatchedSocketConfig = UserFacingSocketConfig & {
  /** May hand back a function that settles writes it left to commit with the Signal keys; awaited before the receipt. */
  beforeMessageReceipt?: (msg: WAMessage) => Promise<void | (() => Promise<void>)>;
  /** Runs an incoming message's Signal key transaction (its decryption, the hook and the keys' commit). */
  messageTransactionScope?: <T>(run: () => Promise<T>) => Promise<T>;
  onMediaUploadBytes?: (bytes: number) => void;
};

export type SocketFactory = (config: PatchedSocketConfig) => WASocket;

/** How many recent message ids to remember as already stored by the receipt hook. */
const HOOKED_IDS = 2_000;

/** Why a session is in its status: our code and the detail. */
export type Why = { code: StatusReasonCode; message: string };

/**
 * How long a pairing code is promised to work. It lives as long as the connection that asked for it, which
 * shows QR codes for about a minute at least (Baileys: 60 s for the first, 20 s for each next one).
 */
export const PAIRING_CODE_TTL_MS = 60_000;

const CONNECTING: Why = { code: 'CONNECTING', message: 'connecting to WhatsApp' };

export type SessionOptions = {
  sessionId: string;
  /** WhatsApp's warning signs seen on the connection (a reach-out time lock): the queue pauses on them. */
  onWarning?: (warning: SessionWarning) => Promise<void>;
  authStore: AuthStore;
  /** Unlinks and wipes a stored login when this session has no open socket to log out with. */
  unlinker: Pick<DeviceUnlinker, 'forgetStoredLogin'>;
  makeSocket: SocketFactory;
  /** Baileys options besides `auth` and `logger` (the WhatsApp URL, timeouts). */
  socketConfig: Partial<UserFacingSocketConfig>;
  /** Stores an event durably (the outbox); resolves once it is safe. `id` is given for redeliverable events. */
  emit: (event: SessionEvent, id?: string) => Promise<void>;
  /** The last status reported of each sent message, which keeps statuses once-only and forward across restarts. */
  statusStore: MessageStatusStore;
  /** Messages sent and received, kept durably so a retry receipt is answered after a reconnect or restart. */
  recentMessages: RecentMessages;
  /**
   * The store's group commit (commit-group.ts): an incoming message's event and recent-message rows are held
   * and committed in one transaction with the Signal keys that decrypted it, one fsync before the receipt.
   * Without it they are committed on their own before the keys, as before.
   */
  commits?: Pick<CommitGroup, 'hold' | 'join' | 'release'>;
  /** Takes received media messages: stores their job durably, then fetches the bytes. Without it they are not reported. */
  media?: Pick<MediaReceiver, 'receive'>;
  logger: Logger;
  /** The logger handed to Baileys, which is chatty at info. */
  baileysLogger?: Logger;
  reconnectDelay?: (attempt: number) => number;
  /** Transient closes in a row before the session is marked FAILED. */
  maxReconnectAttempts?: number;
  /** Unscanned QR rounds (connection attempts ending in a QR timeout) before the session stops (QR_TIMEOUT). */
  qrMaxRounds?: number;
  /** Called when the session stops after qrMaxRounds, before it reports so: it must stay stopped until started again. */
  onQrTimeout?: (why: Why) => Promise<void>;
  /** Told of every socket close as classified (the metrics count reconnects and stalls from it). */
  onClosed?: (close: { action: DisconnectAction; reason: StatusReasonCode; stalled: boolean }) => void;
  /** How long start() waits for the first QR, open or close before letting the next session start. */
  settleTimeoutMs?: number;
  now?: () => number;
};

/** Baileys options every connector socket uses; see shared docs on the simulator notes, sections 1 and 9. */
export const BASE_SOCKET_CONFIG: Partial<UserFacingSocketConfig> = {
  // HISTORY_SYNC's default; main.ts passes the configured mode in socketConfig.
  ...historySyncConfig(DEFAULT_HISTORY_SYNC),
  // Staying "offline" keeps the user's phone notifying them; we are a gateway, not a chat client.
  markOnlineOnConnect: false,
  defaultQueryTimeoutMs: 60_000,
};

/** How a message is sent: quoting, @mentions, and an id fixed beforehand (a queued message's). */
export type SendOptions = {
  quoted?: WAMessage | undefined;
  mentions?: string[] | undefined;
  messageId?: string | undefined;
  /** Called in the turn the sent message's record is written: writes it asks for then share that commit (a queued message's finish). */
  onSent?: ((sent: SendTextResult) => void) | undefined;
};

export class WhatsAppSession {
  readonly sessionId: string;
  #status: SessionStatus = 'STOPPED';
  /** When the last frame came from WhatsApp on this session's socket; set per frame, so only an assignment. */
  #lastSeenAt: number | null = null;
  #reason: Why | undefined;
  /** The number this session must be linked to, if the API gave one. */
  #expectedPhone: string | undefined;
  /** QR rounds in a row that ended unscanned since the last start. */
  #qrRounds = 0;
  readonly #o: SessionOptions & { reconnectDelay: (attempt: number) => number; now: () => number };
  readonly #log: Logger;
  /** Bumped for every socket and on stop, so a late event from an old socket is recognised and dropped. */
  #epoch = 0;
  #sock: WASocket | null = null;
  #auth: { auth: SessionAuth; keys: SessionAuth['state']['keys'] } | null = null;
  #credsWrites: Promise<void> = Promise.resolve();
  #wanted = false;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #settle: (() => void) | null = null;
  #statusEvents: Promise<void> = Promise.resolve();
  /** The incoming message whose Signal key transaction is running, with the key its held writes are under. */
  readonly #messageCommit = new AsyncLocalStorage<{ key: string; failed: boolean }>();
  #messageSeq = 0;
  /** Messages the receipt hook already stored, so messages.upsert does not store them again. */
  readonly #hooked = new Set<string>();
  readonly #statuses: MessageStatuses;
  readonly #unacked = new UnackedSends();
  /** The latest received message per chat phone, for a chat read without a message id. */
  readonly #lastReceived = new Map<string, WAMessageKey>();
  /** Group metadata for sends and incoming subjects; bounded (group-metadata-cache.ts), dropped with the socket's login. */
  readonly #groups = new GroupMetadataCache();

  constructor(options: SessionOptions) {
    this.sessionId = options.sessionId;
    this.#o = { reconnectDelay: (attempt) => nextReconnectDelay(attempt), now: Date.now, ...options };
    this.#log = options.logger.child({ sessionId: options.sessionId });
    this.#statuses = new MessageStatuses({
      sessionId: options.sessionId,
      store: options.statusStore,
      emit: (event, id) => this.#o.emit(event, id),
      logger: this.#log,
      now: this.#o.now,
    });
  }

  get status(): SessionStatus {
    return this.#status;
  }

  /** When WhatsApp was last heard from, while WORKING; null otherwise. */
  get lastSeenAt(): number | null {
    return this.#status === 'WORKING' ? this.#lastSeenAt : null;
  }

  /** True while a socket is open or about to be (including backoff waits). */
  get active(): boolean {
    return this.#wanted;
  }

  /** The number a scan must come from; undefined accepts any. */
  expectPhone(phone: string | undefined): void {
    this.#expectedPhone = phone;
  }

  /** Reports the session STOPPED for `why` without opening anything (kept stopped across a restart). */
  async hold(why: Why): Promise<void> {
    this.#halt();
    await this.#setStatus('STOPPED', why);
  }

  /** Starts keeping a socket open; resolves when the first attempt shows a QR, opens or closes. */
  start(): Promise<void> {
    if (this.#wanted) return Promise.resolve();
    this.#wanted = true;
    this.#attempt = 0;
    this.#qrRounds = 0;
    const settled = new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), this.#o.settleTimeoutMs ?? 30_000);
      const done = () => {
        clearTimeout(timer);
        this.#settle = null;
        resolve();
      };
      this.#settle = done;
    });
    void this.#open();
    return settled;
  }

  /**
   * Closes the socket without unlinking the device; `quiet` skips the STOPPED event (process shutdown),
   * `why` reports another reason than a stop on request.
   */
  async stop(options: { quiet?: boolean; why?: Why } = {}): Promise<void> {
    this.#halt();
    await this.#credsWrites;
    if (!options.quiet) await this.#setStatus('STOPPED', options.why ?? { code: 'STOPPED_BY_USER', message: 'stopped on request' });
  }

  /**
   * Unlinks the device and wipes the stored login, leaving no socket. A connected session logs out on its
   * own socket; otherwise (or if that fails) the unlinker logs the stored login out, now or later.
   * `reason` reports the session LOGGED_OUT with it (a reset); without one the session is being dropped.
   */
  unlinkAndWipe(reason?: Why): Promise<void> {
    return this.#unlinkAndWipe(reason, this.#status === 'WORKING');
  }

  async #unlinkAndWipe(reason: Why | undefined, connected: boolean): Promise<void> {
    const sock = this.#sock;
    this.#halt({ keepSocket: connected });
    let unlinked = false;
    if (sock && connected) {
      try {
        await sock.logout(reason?.message ?? 'session removed');
        unlinked = true;
      } catch (err) {
        this.#log.warn({ err }, 'logout did not reach WhatsApp on the open socket; handing it to the unlinker');
        sock.end(undefined);
      }
    }
    await this.#credsWrites;
    this.#auth = null;
    if (unlinked) await this.#o.authStore.wipe(this.sessionId);
    else await this.#o.unlinker.forgetStoredLogin(this.sessionId);
    await this.#forgetMessages();
    if (reason) await this.#setStatus('LOGGED_OUT', reason);
    else {
      this.#status = 'STOPPED';
      this.#reason = undefined;
    }
  }

  /**
   * Asks WhatsApp for a code that links `phone` when typed on that phone, and reports it as a pairing.code
   * event too. Only while a QR is showing: that is a connection registering a new device.
   */
  async requestPairingCode(phone: string): Promise<PairingCodeResult> {
    const sock = this.#sock;
    if (!sock || this.#status !== 'SCAN_QR_CODE') throw new Error('session is not showing a QR');
    const raw = await sock.requestPairingCode(phone);
    const result = { code: `${raw.slice(0, 4)}-${raw.slice(4)}`, expiresAt: this.#o.now() + PAIRING_CODE_TTL_MS };
    await this.#o.emit({ name: 'pairing.code', ...result });
    return result;
  }

  /** When the phone linked this login (epoch ms), for the pacing's warm-up; null when unknown. */
  linkedAt(): number | null {
    return linkTimeOf(this.#auth?.auth.state.creds);
  }

  /** What message-actions.ts needs to act on the open socket; throws unless the session is WORKING. */
  actionContext(): ActionContext {
    const sock = this.#sock;
    if (!sock || this.#status !== 'WORKING') throw new Error('session is not connected');
    return { sock, sessionId: this.sessionId, recent: this.#o.recentMessages, now: this.#o.now, lastReceived: (phone) => this.#lastReceived.get(phone) };
  }

  /** A group command on the open socket; throws GroupCommandError with our code when WhatsApp refuses. */
  async runGroupCommand(command: GroupCommand): Promise<CommandData> {
    const sock = this.#sock;
    if (!sock || this.#status !== 'WORKING') throw new Error('session is not connected');
    const runner = groupRunner(sock, this.#groups);
    const data = await runner.run(command);
    const me = phoneFromJid(sock.user?.id);
    try {
      for (const event of ownChangeEvents(command, data, me)) await this.#o.emit(event);
      if (command.name === 'group.join' && 'groupId' in data) {
        await this.#o.emit({ name: 'group.joined', group: groupSummary(await runner.metadata(data.groupId)), by: me });
      }
    } catch (err) {
      // Done on WhatsApp already: failing the command would invite the caller to do it twice.
      this.#log.error({ err, command: command.name }, 'a group change was made, but its event could not be stored');
    }
    return data;
  }

  /** `to` is a phone or a group jid; `mentions` are phones to @mention. */
  sendText(to: string, text: string, mentions?: string[]): Promise<SendTextResult> {
    return this.sendContent(to, { text }, { text }, { mentions });
  }

  /**
   * Sends any content to `to`, as sendText does text: statuses tracked from the server's ack on, the message
   * kept for retries and quotes, and recorded as message.sent. `record` is what message.sent reports of it
   * (the text or caption, '' for kinds without; a media message's type and stored id). `to` is a phone or a
   * group jid; `mentions` are phones to @mention. Media content uploads first, so the stanza is written only
   * once the bytes are with WhatsApp.
   */
  async sendContent(to: string, content: AnyMessageContent, record: SentRecord, options: SendOptions = {}): Promise<SendTextResult> {
    const { quoted, mentions } = options;
    const sock = this.#sock;
    if (!sock || this.#status !== 'WORKING') throw new Error('session is not connected');
    // The id is ours before the send: the server's ack (which is `sent`) and receipts can come back before
    // sendMessage resolves, and must be recognised as this message's. A queued message brings the id it was
    // given at enqueue, so a send repeated after a crash is the same message to WhatsApp and the phone.
    const messageId = options.messageId ?? generateMessageIDV2(sock.user?.id);
    const statuses = this.#statuses.sending(messageId, to);
    // Plain text can be sent again as it is; anything else once Baileys has built (and uploaded) the
    // finished message, which is then relayed as it was.
    const plainText = 'text' in content && typeof content.text === 'string' && !quoted && Object.keys(content).length === 1;
    this.#unacked.add({ messageId, to, ...(plainText ? { text: content.text, mentions } : {}) });
    const withMentions = mentions?.length ? ({ ...content, mentions: mentions.map((phone) => `${phone}@s.whatsapp.net`) } as AnyMessageContent) : content;
    try {
      const sent = await sock.sendMessage(recipientJid(to), withMentions, { messageId, ...(quoted ? { quoted } : {}) }).catch((err: unknown) => {
        // Baileys throws before writing the stanza: the caller is told it failed, so it is not ours to resend.
        this.#unacked.settle(messageId);
        throw err;
      });
      if (!sent?.key.id || !sent.key.remoteJid) throw new Error('WhatsApp returned no message key');
      if (sent.message) this.#unacked.prepared(messageId, sent.message);
      const result = { messageId: sent.key.id, remoteJid: sent.key.remoteJid, timestamp: timestampMs(sent.messageTimestamp, this.#o.now()) };
      // Kept and recorded together: both writes join one group commit (commit-group.ts).
      const kept = sent.message ? this.#remember({ id: result.messageId, remoteJid: result.remoteJid, fromMe: true, message: sent.message, at: result.timestamp }) : undefined;
      options.onSent?.(result);
      try {
        // The record of the message goes through the outbox before the caller hears it was sent, so it
        // reaches Turso even if this process dies right after answering.
        await this.#o.emit({ name: 'message.sent', messageId: result.messageId, to, timestamp: result.timestamp, source: 'api', ...record });
      } catch (err) {
        // It is on its way to WhatsApp already: failing the command would invite the caller to send it twice.
        this.#log.error({ err, messageId: result.messageId }, 'sent, but could not store the message.sent event');
      }
      await kept;
      return result;
    } finally {
      // Its statuses were held back so that none reaches the outbox before its message.sent.
      statuses.release();
    }
  }

  /** Asks the sender's phone to upload a received message's media again (it expired on the CDN). */
  async reuploadMedia(message: WAMessage): Promise<WAMessage> {
    const sock = this.#sock;
    if (!sock || this.#status !== 'WORKING') throw new Error('session is not connected');
    // The new URL is built on the media host media_conn named; a socket that never uploaded has not asked yet.
    await sock.refreshMediaConn(false);
    return sock.updateMediaMessage(message);
  }

  #halt(options: { keepSocket?: boolean } = {}): void {
    this.#wanted = false;
    this.#epoch++;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const sock = this.#sock;
    this.#sock = null;
    if (sock && !options.keepSocket) sock.end(undefined);
    this.#settle?.();
  }

  async #open(): Promise<void> {
    const epoch = ++this.#epoch;
    this.#statuses.opened();
    try {
      // A retry keeps the reason it is retrying for; only a first attempt says it is connecting.
      if (this.#status !== 'STARTING') await this.#setStatus('STARTING', CONNECTING);
      // Creds written by the previous socket (pairing, then 515) must be stored before the next one reads them.
      await this.#credsWrites;
      if (!this.#auth) {
        const auth = await this.#o.authStore.load(this.sessionId);
        // requestPairingCode names the account before pairing; a code never entered must not turn the next
        // connection into a login of an account this device never joined (which WhatsApp answers with 401).
        if (auth.state.creds.me && !auth.state.creds.account) {
          delete auth.state.creds.me;
          delete auth.state.creds.pairingCode;
        }
        const cache = createKeyCache();
        this.#auth = { auth, keys: makeCacheableSignalKeyStore(this.#joiningHeld(auth.state.keys, cache), this.#o.baileysLogger, cache) };
      }
      if (epoch !== this.#epoch || !this.#wanted) return;
      const { auth, keys } = this.#auth;
      let created: WASocket | null = null;
      const sock = this.#o.makeSocket({
        ...BASE_SOCKET_CONFIG,
        ...this.#o.socketConfig,
        auth: { creds: auth.state.creds, keys },
        ...(this.#o.baileysLogger ? { logger: this.#o.baileysLogger } : {}),
        onMediaUploadBytes: paceMediaBytes,
        // Asked before every group send; without it Baileys queries the group's metadata on each one.
        cachedGroupMetadata: async (jid) => (created ? groupRunner(created, this.#groups).metadata(jid) : undefined),
        // Baileys asks here when a retry receipt names a message its per-socket cache no longer has.
        getMessage: async (key) => (key.id ? ((await this.#o.recentMessages.get(this.sessionId, key.id))?.message ?? undefined) : undefined),
        // A throw here makes Baileys nack the message, and WhatsApp is not known to deliver a nacked message
        // again. So a message that could not be stored closes the socket first: neither receipt nor nack can
        // leave, and at the next login WhatsApp's offline delivery brings every unreceipted message again.
        messageTransactionScope: (run) => (this.#o.commits ? this.#messageCommit.run({ key: `${this.sessionId}\n${++this.#messageSeq}`, failed: false }, run) : run()),
        beforeMessageReceipt: async (msg) => {
          if (!created || !msg.key.id) return;
          const socket = created;
          const notStored = (err: unknown) => {
            this.#log.error({ err, messageId: msg.key.id }, 'could not store an incoming message; reconnecting so WhatsApp delivers it again');
            void socket.end(new Error('could not store an incoming message'));
            throw err;
          };
          const scope = this.#messageCommit.getStore();
          const commits = this.#o.commits;
          let held: Promise<unknown> | undefined;
          try {
            await this.#onMessage(socket, msg, scope && commits ? (issue) => (held = commits.hold(scope.key, issue)) : undefined);
          } catch (err) {
            notStored(err);
          }
          this.#hooked.add(msg.key.id);
          if (this.#hooked.size > HOOKED_IDS) this.#hooked.delete(this.#hooked.values().next().value!);
          if (!held || !scope || !commits) return;
          // Failing with the key commit, nobody may be left awaiting it: settle() is not called then.
          const stored = held.then(() => undefined, (err: unknown) => err);
          // Called once the key transaction committed: the held writes rode in it (or, with no keys to
          // write, go now on their own); the receipt waits for them either way.
          return async () => {
            commits.release(scope.key);
            const err = await stored;
            if (err !== undefined) notStored(err);
          };
        },
      });
      created = sock;
      this.#sock = sock;
      this.#listen(sock, epoch, auth);
    } catch (err) {
      this.#log.error({ err }, 'could not open a WhatsApp socket');
      if (epoch === this.#epoch && this.#wanted) {
        await this.#scheduleReconnect({ code: 'WHATSAPP_UNREACHABLE', message: `socket could not be opened: ${String(err)}`.slice(0, 500) });
      }
    }
  }

  #listen(sock: WASocket, epoch: number, auth: SessionAuth): void {
    const on = <E extends keyof BaileysEventMap>(event: E, handler: (arg: BaileysEventMap[E]) => Promise<void>) => {
      sock.ev.on(event, (arg) => {
        handler(arg).catch((err: unknown) => this.#log.error({ err, event }, 'WhatsApp event handler failed'));
      });
    };
    // Saved even from an old socket: creds are one object shared by every socket of this session.
    on('creds.update', async () => {
      const write = this.#credsWrites.then(() => auth.saveCreds());
      this.#credsWrites = write.catch((err: unknown) => this.#log.error({ err }, 'saving creds failed'));
      await write;
    });
    on('connection.update', async (update) => {
      if (epoch !== this.#epoch) return;
      // A reach-out time lock comes on its own update, with nothing else in it.
      const lock = update.reachoutTimeLock ? warningOfReachoutLock(update.reachoutTimeLock) : null;
      if (lock) await this.#o.onWarning?.(lock);
      await this.#onConnectionUpdate(sock, update);
    });
    // Messages are real whichever socket delivered them, so these are not filtered by epoch.
    on('messages.upsert', async ({ messages }) => {
      for (const msg of messages) {
        const hooked = !!msg.key.id && this.#hooked.delete(msg.key.id);
        if (msg.key.fromMe) {
          if (hooked) continue;
          if (!msg.key.id || !this.#statuses.tracks(msg.key.id)) {
            // Not one of our sends: a message typed on the phone (the receipt hook did not see it).
            await this.#onPhoneMessage(sock, msg);
            continue;
          }
          // A receipt landing while Baileys buffers the upsert of our send is folded into it, never an update.
          const status = messageStatusName(msg.status);
          const failure = status === 'failed' ? sendFailure(msg.messageStubParameters?.[0]) : undefined;
          if (status) await this.#statuses.upserted(msg.key.id, status, this.#o.now(), failure);
          continue;
        }
        // Without the patch (or for messages the hook did not see) this is where they are stored.
        if (hooked) continue;
        await this.#onMessage(sock, msg);
      }
    });
    sock.ws.on('frame', () => {
      if (epoch === this.#epoch) this.#lastSeenAt = this.#o.now();
    });
    // Baileys emits nothing for the server's ack of a message; it is where `sent` comes from. An error ack
    // comes back from Baileys as status ERROR with the code (an update, or folded into the upsert).
    sock.ws.on('CB:ack,class:message', (node: BinaryNode) => {
      const { id, error, t } = node.attrs;
      if (id) this.#unacked.settle(id);
      if (id && !error) void this.#statuses.acked(id, timestampMs(Number(t), this.#o.now()));
    });
    sock.ws.on('CB:receipt', (node: BinaryNode) => {
      this.#onReceipt(sock, node).catch((err: unknown) => this.#log.error({ err }, 'could not read a receipt'));
    });
    on('messages.update', async (updates) => {
      for (const update of updates) await this.#onMessageUpdate(sock, update);
    });
    on('presence.update', async (update) => {
      for (const event of await presenceEvents(update, (lid) => sock.signalRepository.lidMapping.getPNForLID(lid))) await this.#o.emit(event);
    });
    on('groups.upsert', async (groups) => {
      for (const g of groups) this.#groups.set(g);
      for (const event of joinedEvents(groups)) await this.#o.emit(event);
    });
    on('groups.update', async (updates) => {
      for (const u of updates) {
        if (isFullMetadata(u)) this.#groups.set(u);
        else if (u.id) this.#groups.delete(u.id);
      }
      for (const event of updatedEvents(updates)) await this.#o.emit(event);
    });
    on('group-participants.update', async (update) => this.#onParticipantsUpdate(sock, update));
  }

  async #onConnectionUpdate(sock: WASocket, update: BaileysEventMap['connection.update']): Promise<void> {
    const status = statusFromConnectionUpdate(update);
    if (status === 'SCAN_QR_CODE' && update.qr) {
      await this.#setStatus(status, { code: 'WAITING_FOR_SCAN', message: 'waiting for a phone to scan the QR' });
      await this.#o.emit(await qrEvent(update.qr));
      // The line an operator waits for at the terminal; the QR itself goes out as an event, not into logs.
      this.#log.info('QR code ready: scan it (GET /api/session/qr, the live stream, the webhook or the dashboard)');
      this.#settle?.();
    }
    if (status === 'WORKING') {
      this.#attempt = 0;
      this.#qrRounds = 0;
      const user = sock.user;
      const phone = phoneFromJid(user?.id) ?? user?.id ?? '';
      if (this.#expectedPhone && phone !== this.#expectedPhone) {
        // Never WORKING as the wrong account: the link is undone before anything is reported or received.
        this.#log.warn({ expected: this.#expectedPhone, linked: phone }, 'a different phone linked; unlinking it');
        await this.#unlinkAndWipe({ code: 'PHONE_MISMATCH', message: `linked by ${phone}, but this session is for ${this.#expectedPhone}; unlinked` }, true);
        this.#settle?.();
        return;
      }
      await this.#setStatus(status, undefined, { id: phone, ...(user?.name ? { name: user.name } : {}) });
      this.#log.info({ phone }, `WORKING as +${phone}${user?.name ? ` (${user.name})` : ''}`);
      this.#settle?.();
      await this.#resendUnacked(sock);
    }
    if (update.connection === 'close') {
      this.#sock = null;
      const error = update.lastDisconnect?.error as { message?: string } | undefined;
      const cause = closeCause(error);
      const code = cause.statusCode;
      const action = classifyDisconnect(code);
      const why: Why = { code: reasonForClose(cause, this.#status === 'SCAN_QR_CODE'), message: closeReason(code, error?.message, this.#o.socketConfig.version) };
      if (action === 'fail') this.#log.error({ code, reason: why.code }, `WhatsApp refused the session; not retrying: ${why.message}`);
      else this.#log.info({ code, action, reason: why.code }, 'WhatsApp socket closed');
      const stalled = code === WaStatusCode.timedOut && this.#status === 'WORKING';
      if (stalled) {
        // Baileys' keep-alive found the socket silent past its deadline: open, but nothing answers.
        this.#log.warn({ code }, 'WhatsApp stopped answering keep-alive pings; reconnecting');
      }
      this.#o.onClosed?.({ action, reason: why.code, stalled });
      if (why.code === 'QR_TIMEOUT' && ++this.#qrRounds >= (this.#o.qrMaxRounds ?? 5)) {
        // Nobody is scanning: cycling QR codes for ever (and again at every boot) helps no one.
        this.#halt();
        const stopped: Why = { code: 'QR_TIMEOUT', message: `no phone scanned the QR in ${this.#qrRounds} rounds; start the session again` };
        await this.#o.onQrTimeout?.(stopped);
        await this.#setStatus('STOPPED', stopped);
        this.#settle?.();
        return;
      }
      switch (action) {
        case 'restart':
          void this.#open();
          break;
        case 'reconnect':
          await this.#scheduleReconnect(why);
          break;
        case 'logged-out':
          this.#halt();
          await this.#credsWrites;
          this.#auth = null;
          await this.#o.authStore.wipe(this.sessionId);
          await this.#forgetMessages();
          await this.#setStatus(statusAfterClose(action), why);
          break;
        case 'fail':
          this.#halt();
          await this.#setStatus(statusAfterClose(action), why);
          break;
      }
      this.#settle?.();
    }
  }

  /** Sends again, same id, what the last socket wrote but the server never acked (see unacked-sends.ts). */
  async #resendUnacked(sock: WASocket): Promise<void> {
    for (const { messageId, to, text, mentions, message } of this.#unacked.list()) {
      if (this.#sock !== sock) return;
      try {
        if (message) await sock.relayMessage(recipientJid(to), message, { messageId });
        else if (text !== undefined) await sock.sendMessage(recipientJid(to), textContent(text, mentions), { messageId });
        else continue;
        this.#log.info({ messageId }, 'sent again a message the server had not acked before the socket closed');
      } catch (err) {
        this.#log.warn({ err, messageId }, 'could not send an unacked message again; trying on the next socket');
        return;
      }
    }
  }

  async #scheduleReconnect(reason: Why): Promise<void> {
    const max = this.#o.maxReconnectAttempts ?? 10;
    if (this.#attempt >= max) {
      this.#halt();
      await this.#setStatus('FAILED', { code: reason.code, message: `gave up after ${max} attempts; last: ${reason.message}`.slice(0, 500) });
      return;
    }
    const delay = this.#o.reconnectDelay(this.#attempt++);
    this.#log.warn({ delayMs: delay, attempt: this.#attempt, reason: reason.message }, 'reconnecting to WhatsApp');
    await this.#setStatus('STARTING', reason);
    const epoch = this.#epoch;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (epoch === this.#epoch && this.#wanted) void this.#open();
    }, delay);
  }

  /**
   * Stores an incoming message's event. With `hold` (the receipt hook, given a group commit) a plain event's
   * writes are asked for through it and not awaited: they commit with the Signal keys of its decryption.
   */
  async #onMessage(sock: WASocket, msg: BaileysEventMap['messages.upsert']['messages'][number], hold?: (issue: () => Promise<unknown>) => void): Promise<void> {
    if (msg.key.fromMe) {
      await this.#onPhoneMessage(sock, msg);
      return;
    }
    const party = isGroupJid(msg.key.remoteJid) ? groupSender(msg.key) : chatParty(msg.key);
    if (!party) return;
    // WhatsApp has no lookup of a phone number by LID: the number comes with the message (sender_pn) or from
    // the mapping Baileys stored when it was last given; else the message is delivered with its LID alone.
    const phone = phoneFromJid(party.pnJid) ?? (party.lidJid ? phoneFromJid(await sock.signalRepository.lidMapping.getPNForLID(party.lidJid)) : null);
    const inGroup = isGroupJid(msg.key.remoteJid);
    if (phone && !inGroup && msg.key.id && msg.message && !msg.messageStubType) this.#lastReceived.set(phone, { ...msg.key });
    const lid = bareLid(party.lidJid);
    const sender: Sender = { from: phone, ...(lid ? { fromLid: lid.slice(0, 64) } : {}) };
    const now = this.#o.now();
    const media = this.#o.media && msg.key.id && !msg.messageStubType ? announcedMedia(msg.message) : null;
    const base = media ? incomingMediaEvent(msg, media, phone, lid, now) : (incomingTextEvent(msg, phone, lid, now) ?? incomingKindEvent(msg, sender, now));
    const replyTo = base ? replyToOf(msg) : undefined;
    let event = base && replyTo ? { ...base, replyTo } : base;
    if (event && inGroup) event = { ...event, ...(await this.#groupContext(sock, msg)) };
    const keep =
      msg.key.id && msg.key.remoteJid && msg.message && !msg.messageStubType
        ? { id: msg.key.id, remoteJid: msg.key.remoteJid, fromMe: false, message: msg.message, at: timestampMs(msg.messageTimestamp, this.#o.now()) }
        : null;
    if (hold && this.#o.commits && event && !media) {
      // Both writes are asked for before any await, so both are held: one transaction with the keys, and the
      // event goes out only after it, so whoever hears of it can quote it.
      const plain = event;
      hold(() => Promise.all([keep ? this.#remember(keep) : undefined, this.#o.emit(plain, messageEventId(this.sessionId, msg.key))]));
      return;
    }
    // Kept before its event goes out, so whoever hears of it can quote it.
    if (keep) await this.#remember(keep);
    // Media goes out once its bytes are stored; its job is what is durable before the receipt.
    if (event && media) await this.#o.media!.receive(this.sessionId, msg, event, messageEventId(this.sessionId, msg.key));
    else if (event) await this.#o.emit(event, messageEventId(this.sessionId, msg.key));
    else await this.#onChatEvent(sock, msg, sender);
  }

  /** A reaction, edit, delete or poll vote from a contact, as its own event. */
  async #onChatEvent(sock: WASocket, msg: WAMessage, sender: Sender): Promise<void> {
    const now = this.#o.now();
    const action = chatActionEvent(msg, sender, now);
    if (action) {
      await this.#o.emit(action, messageEventId(this.sessionId, msg.key, action.name));
      return;
    }
    const pollId = votedPollId(msg);
    if (!pollId) return;
    const poll = await this.#o.recentMessages.get(this.sessionId, pollId);
    const me = sock.user?.id ? jidNormalizedUser(sock.user.id) : undefined;
    const voter = msg.key.participant || msg.key.remoteJid;
    if (!poll || !me || !voter) {
      this.#log.warn({ pollId }, 'a vote on a poll this connector does not have; it cannot be decrypted');
      return;
    }
    try {
      const context = { id: pollId, message: poll.message, creatorJid: poll.fromMe ? me : jidNormalizedUser(poll.remoteJid), voterJid: jidNormalizedUser(voter) };
      const vote = pollVoteEvent(msg, context, sender, now);
      if (vote) await this.#o.emit(vote, messageEventId(this.sessionId, msg.key, 'poll.vote'));
    } catch (err) {
      this.#log.warn({ err, pollId }, 'a poll vote did not decrypt');
    }
  }

  /** Where a group message came in, and whom it @mentions. */
  async #groupContext(sock: WASocket, msg: WAMessage): Promise<Pick<Extract<SessionEvent, { name: 'message.received' }>, 'chat' | 'mentions'>> {
    const groupId = msg.key.remoteJid!;
    let subject: string | undefined;
    try {
      subject = (await groupRunner(sock, this.#groups).metadata(groupId)).subject;
    } catch (err) {
      this.#log.warn({ err, groupId }, 'could not read the subject of a group a message came from');
    }
    const mentions = mentionedPhones(msg);
    return { chat: { type: 'group', id: groupId, ...(subject ? { subject: subject.slice(0, 1024) } : {}) }, ...(mentions.length ? { mentions } : {}) };
  }

  async #onParticipantsUpdate(sock: WASocket, update: BaileysEventMap['group-participants.update']): Promise<void> {
    this.#groups.delete(update.id);
    const change = participantsChange(update, { id: sock.user?.id, lid: sock.user?.lid });
    if (!change) return;
    await this.#o.emit(change.event);
    if (change.self === 'removed') await this.#o.emit(leftEvent(update.id, change.event.by));
    if (change.self === 'added') {
      // Being added says nothing of the group itself; its metadata is one query away.
      const meta = await groupRunner(sock, this.#groups).metadata(update.id);
      await this.#o.emit({ name: 'group.joined', group: groupSummary(meta), by: change.event.by });
    }
  }

  /** The login is gone, and with it any reason to keep its messages; pruning catches a failure here. */
  async #forgetMessages(): Promise<void> {
    try {
      await this.#o.recentMessages.forget(this.sessionId);
    } catch (err) {
      this.#log.error({ err }, 'could not delete the stored messages of a wiped session');
    }
  }

  /**
   * The Signal key store whose writes, made in an incoming message's transaction, carry the writes its hook
   * held (its event, its recent message) into the same commit: its keys are never durable without its event.
   * If that commit fails, the message was not stored: its keys must never be committed (Baileys retries the
   * commit), the cache Baileys filled before the write is emptied so the next read comes from the store,
   * and the socket closes as a failed store in the receipt hook does: neither receipt nor nack may leave.
   */
  #joiningHeld(keys: SignalKeyStore, cache: CacheStore): SignalKeyStore {
    const commits = this.#o.commits;
    if (!commits) return keys;
    return {
      ...keys,
      set: async (data) => {
        const scope = this.#messageCommit.getStore();
        if (!scope) return keys.set(data);
        if (scope.failed) {
          cache.flushAll();
          throw new Error('not committing the Signal keys of an incoming message that could not be stored');
        }
        try {
          await commits.join(scope.key, () => keys.set(data));
        } catch (err) {
          scope.failed = true;
          cache.flushAll();
          this.#log.error({ err }, 'could not store an incoming message with its Signal keys; reconnecting so WhatsApp delivers it again');
          void this.#sock?.end(new Error('could not store an incoming message'));
          throw err;
        }
      },
    };
  }

  /** Keeps a message for retry receipts; a failure costs only a later resend, so it is logged, not thrown. */
  async #remember(message: Parameters<RecentMessages['put']>[1]): Promise<void> {
    try {
      await this.#o.recentMessages.put(this.sessionId, message);
    } catch (err) {
      this.#log.error({ err, messageId: message.id }, 'could not keep a message for retry receipts');
    }
  }

  /**
   * A message typed on the user's phone, synced to this device: recorded as message.sent (source "phone")
   * and, since WhatsApp's server has it, as `sent`; its receipts then follow as for our own sends.
   */
  async #onPhoneMessage(sock: WASocket, msg: WAMessage): Promise<void> {
    const party = chatParty(msg.key);
    if (!party || !msg.key.id) return;
    const to = phoneFromJid(party.pnJid) ?? (party.lidJid ? phoneFromJid(await sock.signalRepository.lidMapping.getPNForLID(party.lidJid)) : null);
    const event = to ? phoneSentEvent(msg, to, this.#o.now()) : null;
    if (!to || !event) return;
    if (msg.message) await this.#remember({ id: event.messageId, remoteJid: msg.key.remoteJid ?? `${to}@s.whatsapp.net`, fromMe: true, message: msg.message, at: event.timestamp });
    // Receipts that land meanwhile wait until its message.sent is stored, as for our own sends.
    const statuses = this.#statuses.sending(event.messageId, to);
    try {
      await this.#o.emit(event, phoneSentEventId(this.sessionId, event.messageId));
    } finally {
      statuses.release();
    }
    await this.#statuses.report(event.messageId, to, 'sent', event.timestamp);
  }

  async #onMessageUpdate(sock: WASocket, update: BaileysEventMap['messages.update'][number]): Promise<void> {
    if (!update.key.fromMe || update.update.status === undefined || update.update.status === null) return;
    const status = messageStatusName(update.update.status);
    if (!status) return;
    const failure = status === 'failed' ? sendFailure(update.update.messageStubParameters?.[0]) : undefined;
    await this.#onStatus(sock, update.key, status, timestampMs(update.update.messageTimestamp, this.#o.now()), failure);
  }

  /** A contact's receipt as WhatsApp sent it, before Baileys' event buffer can merge it away. */
  async #onReceipt(sock: WASocket, node: BinaryNode): Promise<void> {
    const receipt = receiptStatus(node, this.#o.now());
    if (!receipt || areJidsSameUser(receipt.chatJid, sock.user?.id) || areJidsSameUser(receipt.chatJid, sock.user?.lid)) return;
    for (const id of receipt.ids) await this.#onStatus(sock, { remoteJid: receipt.chatJid, id, fromMe: true }, receipt.status, receipt.timestamp);
  }

  async #onStatus(sock: WASocket, key: WAMessageKey, status: StatusChange['status'], timestamp: number, failure?: SendFailure): Promise<void> {
    const id = key.id;
    // A receipt for a message this session never recorded (the phone sent it before this device was linked,
    // or it is not a text): no status, which would stand for a message nobody has.
    if (!id || (!this.#statuses.tracks(id) && (await this.#o.statusStore.last(this.sessionId, id)) === null)) return;
    const party = chatParty(key);
    if (!party) return;
    const phone = phoneFromJid(party.pnJid) ?? (party.lidJid ? phoneFromJid(await sock.signalRepository.lidMapping.getPNForLID(party.lidJid)) : null);
    if (!phone) return;
    await this.#statuses.report(id, phone, status, timestamp, failure);
  }

  /**
   * Emits a connection.update when the status changes or a new reason comes with the same status (a
   * retry that fails differently); repeats are swallowed so a reconnect loop does not flood the outbox.
   * Status events are serialised.
   */
  #setStatus(status: SessionStatus, reason?: Why, user?: { id: string; name?: string }): Promise<void> {
    const next = this.#statusEvents.then(async () => {
      const same = reason === undefined || (reason.code === this.#reason?.code && reason.message === this.#reason.message);
      if (this.#status === status && !user && same) return;
      if (this.#status !== status || reason !== undefined) this.#reason = reason;
      this.#status = status;
      await this.#o.emit({
        name: 'connection.update',
        status,
        ...(reason ? { reason: reason.message, code: reason.code } : {}),
        ...(user ? { user } : {}),
      });
    });
    this.#statusEvents = next.catch(() => undefined);
    return next;
  }
}

/** A text message, with its @mentions as WhatsApp carries them (jids in contextInfo). */
function textContent(text: string, mentions: string[] | undefined) {
  return mentions?.length ? { text, mentions: mentions.map((phone) => `${phone}@s.whatsapp.net`) } : { text };
}

/** The phones a message @mentions (PN jids; LID mentions have no phone to give). */
function mentionedPhones(msg: WAMessage): string[] {
  const content = msg.message?.extendedTextMessage?.contextInfo?.mentionedJid ?? [];
  return content.map((jid) => phoneFromJid(jid)).filter((p): p is string => p !== null).slice(0, 1_024);
}
