// The connector's one WebSocket link to the hub: dials, proves itself (challenge -> hello -> welcome),
// keeps a heartbeat, asks for its lease to be renewed, reconnects with backoff, sends the outbox oldest
// first and answers each command once.
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { WebSocket } from 'ws';
import type { SessionStatus } from '../shared/status.ts';
import type { Logger } from 'pino';
import {
  CloseCode,
  CommandFrame,
  ConnectorFrame,
  EVENT_WINDOW,
  FRAME_BATCH_MAX,
  HubFrame,
  PING_FRAME,
  PONG_FRAME,
  PROTOCOL_VERSION,
  parseFrame,
  type Command,
  type CommandData,
  type CommandErrorCode,
  type DesiredSession,
  type ResultFrame,
} from '../shared/protocol.ts';
import { connectorProof } from '../shared/connector-proof.ts';
import { renewEveryMs } from './fence.ts';
import { nextReconnectDelay } from './reconnect-delay.ts';
import type { Outbox } from './outbox.ts';

export type CommandOutcome = { ok: true; data: CommandData } | { ok: false; error: { code: CommandErrorCode; message: string; retryAfterMs?: number } };

export type HubHandlers = {
  /**
   * The full desired set after each (re)authentication, and the held sessions the hub says were deleted
   * (the only ones a welcome may unlink).
   */
  welcome(sessions: DesiredSession[], removed: string[]): void | Promise<void>;
  desired(sessions: DesiredSession[]): void | Promise<void>;
  remove(sessionIds: string[]): void | Promise<void>;
  /** Runs one command; a throw is answered as SEND_FAILED. */
  command(command: Command, deadline: number): Promise<CommandOutcome>;
};

export type HubLinkOptions = {
  /** HUB_URL without a trailing slash; the link dials `${hubUrl}/hub/connect?connector=<connectorId>` (its own hub). */
  hubUrl: string;
  connectorId: string;
  secret: string;
  outbox: Outbox;
  logger: Logger;
  /** Sessions whose WhatsApp login is stored locally, sent in every hello. */
  heldSessions: () => Promise<string[]>;
  /** The status of each running session, sent in every hello. */
  liveStatuses: () => { sessionId: string; status: SessionStatus }[];
  handlers: HubHandlers;
  reconnectDelay?: (attempt: number) => number;
  /** A link must stay up this long after its welcome before the backoff starts from zero again. */
  minUptimeMs?: number;
  /** Closes a link that has not been welcomed this long after opening. */
  authTimeoutMs?: number;
  /** With events unacked and no ack for this long, everything unacked is sent again. */
  resendUnackedMs?: number;
  /** At most this many events sent and unacked on the link at once (the protocol's EVENT_WINDOW). */
  eventWindow?: number;
  now?: () => number;
};

export type HubLinkEvents = {
  /** Authenticated and the welcome's desired state applied. */
  ready: [];
  disconnected: [{ code: number; reason: string }];
  acked: [string[]];
  /**
   * The hub wrote a lease and said so (the welcome, or a `renewed`): its lease on this connector runs from
   * `at` (when the answered frame was sent) for `leaseMs`. A pong renews nothing: the runtime answers it.
   */
  renewed: [{ at: number; leaseMs: number | undefined }];
};

const EVENT_BATCH = 200;
/**
 * Frames of events sent and not wholly acked that the pump allows: what is stored while the hub works on them
 * waits for an ack and goes in one frame then (one socket write and one hub message for many events, more the
 * busier the hub is). Two, so that a frame the hub never acks (it could not store it) holds nothing up.
 */
const FRAMES_IN_FLIGHT = 2;

export class HubLink extends EventEmitter<HubLinkEvents> {
  readonly #options: Required<Omit<HubLinkOptions, 'reconnectDelay'>> & { reconnectDelay: (attempt: number) => number };
  readonly #log: Logger;
  #ws: WebSocket | null = null;
  #ready = false;
  #stopped = true;
  #attempt = 0;
  #welcomedAt = 0;
  /** The version the hub's last challenge stated, to name both sides when it refuses ours. */
  #hubProtocol: number | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #renewals: NodeJS.Timeout | null = null;
  /** This process, named in every hello: a drain holds across its reconnects and ends with a restart. */
  readonly #instance = randomBytes(12).toString('base64url');
  /** When each unanswered renewal of the current link was sent, by its id. */
  readonly #renewalsSentAt = new Map<number, number>();
  #renewalId = 0;
  #resendTimer: NodeJS.Timeout | null = null;
  #lastAckAt = 0;
  #authTimer: NodeJS.Timeout | null = null;
  #lastPongAt = 0;
  #helloSentAt = 0;
  #leaseMs: number | undefined;
  /** Highest outbox seq sent on the current socket; reset to 0 on every welcome so unacked events go again. */
  #sentUpTo = 0;
  /** Ids sent on the current socket and not acked yet: the window the pump may not outgrow. */
  readonly #unacked = new Set<string>();
  /** The ids of each events frame sent on the current socket and not wholly acked, oldest first. */
  #frames: Set<string>[] = [];
  /** The last pump stopped because the window (of events or of frames) was full: the next ack starts one. */
  #windowFull = false;
  #pumping = false;
  #pumpAgain = false;
  #draining = false;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Results ready this turn, sent together after it (one `results` frame, see FRAME_BATCH_MAX). */
  #answers: { ws: WebSocket; frame: ResultFrame }[] = [];

  constructor(options: HubLinkOptions) {
    super();
    this.#options = {
      reconnectDelay: (attempt) => nextReconnectDelay(attempt),
      minUptimeMs: 10_000,
      authTimeoutMs: 15_000,
      resendUnackedMs: 5_000,
      eventWindow: EVENT_WINDOW,
      now: Date.now,
      ...options,
    };
    this.#log = options.logger.child({ module: 'hub-link' });
  }

  get ready(): boolean {
    return this.#ready;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  /** Sends a frame that needs no ack and may be lost (it is sent again later); false when the link is down. */
  sendVolatile(frame: Extract<ConnectorFrame, { type: 'seen' }>): boolean {
    const ws = this.#ws;
    if (!this.#ready || !ws) return false;
    this.#send(ws, frame);
    return true;
  }

  /**
   * Call after adding to the outbox: sends whatever is new if the link is up. The pump starts after the
   * current turn, so a command's result that is answered in this turn travels in the same frame, ahead of
   * the events its command just stored (the hub answers the caller first, then stores the events).
   */
  notifyOutbox(): void {
    setImmediate(() => void this.#pump());
  }

  /** From now on every command is answered SHUTTING_DOWN; resolves when running commands have answered. */
  async stopTakingCommands(timeoutMs: number): Promise<void> {
    this.#draining = true;
    await withTimeout(Promise.allSettled([...this.#inFlight]), timeoutMs);
  }

  /** Waits (at most `timeoutMs`) until the hub has acked every outbox event; true if the outbox is empty. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = this.#options.now() + timeoutMs;
    for (;;) {
      if ((await this.#options.outbox.count()) === 0) return true;
      const left = deadline - this.#options.now();
      if (left <= 0) return false;
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), left);
      try {
        await once(this, 'acked', { signal: ac.signal });
      } catch {
        return (await this.#options.outbox.count()) === 0;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Drops the current socket and dials again: a fresh welcome re-applies the desired state. */
  reconnect(): void {
    this.#ws?.terminate();
  }

  /** Closes the link for good (no reconnect). */
  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = once(ws, 'close');
    ws.close(1000, 'connector shutting down');
    if (!(await withTimeout(closed, 2_000))) ws.terminate();
  }

  #connect(): void {
    const url = `${this.#options.hubUrl}/hub/connect?connector=${encodeURIComponent(this.#options.connectorId)}`;
    this.#log.debug({ url, attempt: this.#attempt }, 'dialling hub');
    // Frames are small JSON; compressing each one cost the connector (and the hub) more CPU than it saved.
    const ws = new WebSocket(url, { perMessageDeflate: false });
    this.#ws = ws;
    this.#ready = false;
    this.#authTimer = setTimeout(() => {
      this.#log.warn('hub did not welcome in time; reconnecting');
      ws.terminate();
    }, this.#options.authTimeoutMs);
    ws.on('message', (data, isBinary) => {
      if (this.#ws !== ws) return;
      this.#onMessage(ws, isBinary ? null : data.toString()).catch((err: unknown) => this.#log.error({ err }, 'hub frame handler failed'));
    });
    ws.on('error', (err) => this.#log.warn({ err: err.message }, 'hub socket error'));
    ws.on('close', (code, reasonBytes) => this.#onClose(ws, code, reasonBytes.toString()));
  }

  async #onMessage(ws: WebSocket, raw: string | null): Promise<void> {
    if (raw === PONG_FRAME) {
      this.#onPong();
      return;
    }
    const frame = parseFrame(HubFrame, raw);
    if (!frame) {
      this.#answerMalformed(ws, raw);
      return;
    }
    switch (frame.type) {
      case 'challenge': {
        this.#hubProtocol = frame.protocol;
        const timestamp = this.#options.now();
        const { connectorId, secret } = this.#options;
        const [proof, held] = await Promise.all([connectorProof(secret, connectorId, frame.nonce, timestamp), this.#options.heldSessions()]);
        const live = this.#options.liveStatuses();
        this.#helloSentAt = timestamp;
        this.#send(ws, { type: 'hello', protocol: PROTOCOL_VERSION, connectorId, nonce: frame.nonce, timestamp, proof, held, live, instance: this.#instance });
        return;
      }
      case 'welcome':
        this.#leaseMs = frame.leaseMs;
        this.#onWelcome(ws, frame.heartbeatMs);
        this.emit('renewed', { at: this.#helloSentAt, leaseMs: this.#leaseMs });
        try {
          await this.#options.handlers.welcome(frame.sessions, frame.removed);
        } finally {
          if (this.#ws === ws) this.emit('ready');
        }
        return;
      case 'desired':
        await this.#options.handlers.desired(frame.sessions);
        return;
      case 'remove':
        await this.#options.handlers.remove(frame.sessionIds);
        return;
      case 'command':
        await this.#runCommand(ws, frame.id, frame.command, frame.deadline);
        return;
      case 'commands':
        await Promise.all(frame.commands.map((item) => this.#runItem(ws, item)));
        return;
      case 'ack':
        this.#lastAckAt = this.#options.now();
        await this.#options.outbox.ack(frame.ids);
        for (const id of frame.ids) this.#unacked.delete(id);
        for (const sent of this.#frames) for (const id of frame.ids) sent.delete(id);
        this.#frames = this.#frames.filter((sent) => sent.size > 0);
        this.emit('acked', frame.ids);
        // Room in the window matters only to a pump the window stopped; new events ask for their own.
        if (this.#windowFull) void this.#pump();
        return;
      case 'pong':
        this.#onPong();
        return;
      case 'renewed': {
        if (this.#ws !== ws) return;
        const sentAt = this.#renewalsSentAt.get(frame.id);
        if (sentAt === undefined) return;
        // Answers come in order; any older one still unanswered will not renew more than this one did.
        for (const id of this.#renewalsSentAt.keys()) if (id <= frame.id) this.#renewalsSentAt.delete(id);
        this.emit('renewed', { at: sentAt, leaseMs: this.#leaseMs });
        return;
      }
    }
  }

  #onPong(): void {
    this.#lastPongAt = this.#options.now();
  }

  #onWelcome(ws: WebSocket, heartbeatMs: number): void {
    if (this.#authTimer) clearTimeout(this.#authTimer);
    this.#authTimer = null;
    this.#ready = true;
    this.#welcomedAt = this.#options.now();
    this.#lastPongAt = this.#welcomedAt;
    this.#sentUpTo = 0;
    this.#unacked.clear();
    this.#frames = [];
    this.#renewalsSentAt.clear();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    // Pings are answered by the runtime without waking the hub: they show the socket is alive, nothing more.
    this.#heartbeat = setInterval(() => {
      // Two silent intervals: the link is dead even if TCP has not noticed (NAT timeouts, a frozen hub).
      if (this.#options.now() - this.#lastPongAt > 2 * heartbeatMs) {
        this.#log.warn({ heartbeatMs }, 'no pong for two heartbeats; reconnecting');
        ws.terminate();
        return;
      }
      ws.send(PING_FRAME);
    }, heartbeatMs);
    // The lease is renewed only by a hub that wrote it to the directory, so renewals wake the hub: a few
    // times a lease, three chances inside the fence window.
    if (this.#renewals) clearInterval(this.#renewals);
    this.#renewals = null;
    const leaseMs = this.#leaseMs;
    if (leaseMs !== undefined) {
      this.#renewals = setInterval(() => {
        const id = this.#renewalId++;
        this.#renewalsSentAt.set(id, this.#options.now());
        this.#send(ws, { type: 'renew', id });
      }, renewEveryMs(heartbeatMs, leaseMs));
    }
    // An event the hub took but did not ack (it could not store it just then) would otherwise wait for the
    // next reconnect: with no ack for a while, send everything unacked again; the hub stores each id once.
    this.#lastAckAt = this.#welcomedAt;
    if (this.#resendTimer) clearInterval(this.#resendTimer);
    const resendMs = this.#options.resendUnackedMs;
    this.#resendTimer = setInterval(() => {
      if (this.#sentUpTo === 0 || this.#options.now() - this.#lastAckAt < resendMs) return;
      this.#lastAckAt = this.#options.now();
      this.#sentUpTo = 0;
      this.#unacked.clear();
      this.#frames = [];
      void this.#pump();
    }, resendMs);
    this.#log.info('hub link ready');
    void this.#pump();
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.#ws !== ws) return;
    const wasReady = this.#ready;
    this.#ws = null;
    this.#ready = false;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#renewals) clearInterval(this.#renewals);
    if (this.#resendTimer) clearInterval(this.#resendTimer);
    if (this.#authTimer) clearTimeout(this.#authTimer);
    this.#heartbeat = null;
    this.#renewals = null;
    this.#resendTimer = null;
    this.#authTimer = null;
    this.emit('disconnected', { code, reason });
    if (this.#stopped) return;
    if (wasReady && this.#options.now() - this.#welcomedAt >= this.#options.minUptimeMs) this.#attempt = 0;
    const delay = this.#options.reconnectDelay(this.#attempt++);
    if (code === CloseCode.unsupportedVersion) {
      const versions = { hubProtocol: this.#hubProtocol, connectorProtocol: PROTOCOL_VERSION };
      this.#log.error({ code, reason, ...versions, delayMs: delay }, `hub and connector protocol versions differ (hub ${versions.hubProtocol ?? '?'}, connector ${PROTOCOL_VERSION}): upgrade the older one; retrying`);
    } else {
      const level = code === 4001 || code === 4003 ? 'error' : 'warn';
      this.#log[level]({ code, reason, delayMs: delay }, 'hub link closed; reconnecting');
    }
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (!this.#stopped) this.#connect();
    }, delay);
  }

  /** One item of a `commands` frame, checked on its own: a malformed one is answered alone, if it has an id. */
  async #runItem(ws: WebSocket, item: unknown): Promise<void> {
    const parsed = CommandFrame.safeParse(item);
    if (parsed.success) return this.#runCommand(ws, parsed.data.id, parsed.data.command, parsed.data.deadline);
    const id = (item as { id?: unknown } | null)?.id;
    this.#log.warn({ item: JSON.stringify(item)?.slice(0, 200) }, 'ignoring a malformed command in a batch');
    if (typeof id === 'string') this.#answer(ws, { type: 'result', id, ok: false, error: { code: 'INVALID_COMMAND', message: 'command did not parse' } });
  }

  async #runCommand(ws: WebSocket, id: string, command: Command, deadline: number): Promise<void> {
    if (this.#draining) {
      this.#answer(ws, { type: 'result', id, ok: false, error: { code: 'SHUTTING_DOWN', message: 'connector is shutting down' } });
      return;
    }
    const run = (async (): Promise<CommandOutcome> => {
      try {
        return await this.#options.handlers.command(command, deadline);
      } catch (err) {
        this.#log.error({ err, commandId: id }, 'command failed');
        return { ok: false, error: { code: 'SEND_FAILED', message: err instanceof Error ? err.message.slice(0, 1000) : 'send failed' } };
      }
    })();
    this.#inFlight.add(run);
    try {
      const outcome = await run;
      // A result after a reconnect goes nowhere useful: the hub answered 503 when the old link dropped.
      if (this.#ws === ws) this.#answer(ws, { type: 'result', id, ...outcome });
    } finally {
      this.#inFlight.delete(run);
    }
  }

  /**
   * Queues a result for the end of this turn: the sends that one group commit finished answer together, in
   * one frame, and the hub handles one message for them instead of one each.
   */
  #answer(ws: WebSocket, frame: ResultFrame): void {
    if (this.#answers.length === 0) setImmediate(() => this.#flushAnswers());
    this.#answers.push({ ws, frame });
  }

  /** The results waiting for the end of this turn, if they all go to `ws` and fit one frame; else none. */
  #takeAnswers(ws: WebSocket): ResultFrame[] {
    if (this.#answers.length === 0 || this.#answers.length > FRAME_BATCH_MAX || this.#answers.some((a) => a.ws !== ws)) return [];
    const frames = this.#answers.map((a) => a.frame);
    this.#answers = [];
    return frames;
  }

  #flushAnswers(): void {
    const answers = this.#answers;
    this.#answers = [];
    const current = this.#ws;
    // Results for a socket that has gone go nowhere useful: the hub answered 503 when the old link dropped.
    const frames = answers.filter((a) => a.ws === current).map((a) => a.frame);
    if (!current) return;
    for (let i = 0; i < frames.length; i += FRAME_BATCH_MAX) {
      const chunk = frames.slice(i, i + FRAME_BATCH_MAX);
      this.#send(current, chunk.length === 1 ? chunk[0]! : { type: 'results', results: chunk });
    }
  }

  /** A command whose frame does not parse still gets its one answer, if it has an id to answer to. */
  #answerMalformed(ws: WebSocket, raw: string | null): void {
    let ids: unknown[] = [];
    try {
      const json = JSON.parse(raw ?? 'null') as { type?: unknown; id?: unknown; commands?: unknown } | null;
      if (json?.type === 'command') ids = [json.id];
      // A batch refused whole (too long, say): each command in it still gets its answer.
      if (json?.type === 'commands' && Array.isArray(json.commands)) ids = json.commands.map((c: { id?: unknown } | null) => c?.id);
    } catch {
      // not JSON at all
    }
    this.#log.warn({ frame: raw?.slice(0, 200) }, 'ignoring malformed hub frame');
    if (!this.#ready) return;
    for (const id of ids) {
      if (typeof id === 'string') this.#answer(ws, { type: 'result', id, ok: false, error: { code: 'INVALID_COMMAND', message: 'command frame did not parse' } });
    }
  }

  /**
   * Sends unacked outbox events in seq order on the current socket, one pump at a time, never more than the
   * window unacked: a long backlog after a reconnect flows at the pace the hub stores it.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        batches: while (this.#ready && this.#unacked.size < this.#options.eventWindow && this.#frames.length < FRAMES_IN_FLIGHT) {
          const ws = this.#ws;
          const room = this.#options.eventWindow - this.#unacked.size;
          const asked = Math.min(EVENT_BATCH, room);
          const batch = await this.#options.outbox.pending(this.#sentUpTo, asked);
          if (this.#ws !== ws) continue;
          if (batch.length === 0) break;
          // The socket changed during the read: the welcome reset #sentUpTo, start over on the new socket.
          if (this.#ws !== ws || !this.#ready || !ws) continue batches;
          // One frame for what one read found (an `events` batch), so the hub handles one message for them.
          for (let i = 0; i < batch.length; i += FRAME_BATCH_MAX) {
            const frames = batch.slice(i, i + FRAME_BATCH_MAX).map((entry) => ({ type: 'event' as const, id: entry.id, sessionId: entry.sessionId, at: entry.at, event: entry.event }));
            // Results still waiting for the end of this turn ride along, ahead of the events (the hub answers
            // their callers first): one message for the hub instead of two.
            const results = this.#takeAnswers(ws);
            if (results.length > 0) this.#send(ws, { type: 'results', results, events: frames });
            else this.#send(ws, frames.length === 1 ? frames[0]! : { type: 'events', events: frames });
            for (const frame of frames) this.#unacked.add(frame.id);
            this.#frames.push(new Set(frames.map((frame) => frame.id)));
            this.#sentUpTo = batch[Math.min(i + FRAME_BATCH_MAX, batch.length) - 1]!.seq;
          }
          // A short read found every event stored so far; one stored since has asked for another pump.
          if (batch.length < asked) break;
        }
        this.#windowFull = this.#ready && (this.#unacked.size >= this.#options.eventWindow || this.#frames.length >= FRAMES_IN_FLIGHT);
      } while (this.#pumpAgain && this.#ready);
    } catch (err) {
      this.#log.error({ err }, 'outbox pump failed');
    } finally {
      this.#pumping = false;
    }
  }

  #send(ws: WebSocket, frame: ConnectorFrame): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(frame));
  }
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
