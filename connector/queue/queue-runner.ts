// Drains each session's durable outbound queue at the pace its policy allows: one message at a time per
// session, "typing..." shown for a time proportional to the text, each sent with the id it got at enqueue.
// WhatsApp's warning signs pause the queue (kept paused across restarts) until resumed. Synchronous sends
// ask it how long they must wait, so both paths share one pace.
import { generateMessageIDV2 } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { DEFAULT_PACING, nextSendAt, typingMs, type PacingPolicy } from '../../shared/pacing.ts';
import type { QueueItem, QueueState, SessionEvent } from '../../shared/protocol.ts';
import type { ManagedSession } from '../whatsapp/session-manager.ts';
import type { CancelOutcome, QueuedMessage, QueuePause, SendQueue } from './send-queue.ts';
import { setChatState } from '../whatsapp/message-actions.ts';
import { warningOfSendError, type SessionWarning } from './warning-signs.ts';

/** How often sessions with waiting messages are looked at, besides the kicks of enqueue, resume and timers. */
const POLL_MS = 1_000;
/** Queued messages read at once by a drain: one read for a page instead of one per send. */
const PAGE = 50;

export type QueueRunnerOptions = {
  queue: SendQueue;
  session: (sessionId: string) => ManagedSession | undefined;
  /**
   * Sends one queued message with its fixed id (commands.ts sendMessage); `onSent` is called in the turn the
   * message's record is written, so the queue's finish shares its commit.
   */
  send: (session: ManagedSession, item: QueueItem, messageId: string, onSent: () => void) => Promise<unknown>;
  emit: (sessionId: string, event: SessionEvent) => Promise<void>;
  logger: Logger;
  /** The pacing of sessions the hub sends no policy for. */
  defaultPolicy?: PacingPolicy;
  now?: () => number;
  random?: () => number;
  pollMs?: number;
};

/** What a synchronous send must do: wait `waitMs` and send, or be refused and retried after `retryAfterMs`. */
export type PaceAnswer = { waitMs: number; typingMs: number } | { retryAfterMs: number };

export class QueueRunner {
  readonly #o: QueueRunnerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #policies = new Map<string, PacingPolicy>();
  /** The drain running for each session. */
  readonly #busy = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Synchronous sends promised a slot, not yet logged: the queue must not take the same slot. */
  readonly #reserved = new Map<string, { at: number; to: string }[]>();
  /**
   * Each held session's pause as stored, read once and then kept in step with the writes, which all come
   * through here while this connector holds the session. Keyed by the session object: a session taken again
   * (after another connector held it) is a new object, and its pause is read afresh.
   */
  readonly #pauses = new WeakMap<ManagedSession, QueuePause | null>();
  /** Per session, the rest of the page its drain read, oldest first. */
  readonly #pages = new Map<string, QueuedMessage[]>();
  /** Per session, the message handed to WhatsApp now: a cancel of it is too late, whatever the row says. */
  readonly #sending = new Map<string, string>();
  /** Cancels under way, and those done since the session's page was read: the drain skips what they take out. */
  readonly #cancelling = new Map<string, Promise<unknown>>();
  readonly #cancelled = new Map<string, Set<string>>();
  #poll: ReturnType<typeof setInterval> | null = null;
  #closed = false;

  constructor(options: QueueRunnerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'queue' });
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  start(): void {
    this.#poll = setInterval(() => void this.#kickAll(), this.#o.pollMs ?? POLL_MS);
    this.#poll.unref();
    void this.#kickAll();
  }

  close(): void {
    this.#closed = true;
    if (this.#poll) clearInterval(this.#poll);
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** The hub's policy for a session (absent: the defaults). */
  setPolicy(sessionId: string, policy: PacingPolicy | undefined): void {
    if (policy) this.#policies.set(sessionId, policy);
    else this.#policies.delete(sessionId);
  }

  policyOf(sessionId: string): PacingPolicy {
    return this.#policies.get(sessionId) ?? this.#o.defaultPolicy ?? DEFAULT_PACING;
  }

  /** Durable before it resolves: each item's WhatsApp id, in order. */
  async enqueue(sessionId: string, items: readonly QueueItem[], userJid?: string): Promise<string[]> {
    const at = this.#now();
    const entries = items.map((item) => ({ messageId: generateMessageIDV2(userJid), item }));
    await this.#o.queue.enqueue(sessionId, entries, at);
    // Asked for together, the events share one commit (commit-group.ts) and keep their order in the outbox;
    // one after another, a batch of 1,000 cost 1,000 commits.
    await Promise.all(entries.map(({ messageId, item }) => this.#o.emit(sessionId, { name: 'message.status', messageId, to: item.to, status: 'queued', timestamp: at })));
    this.kick(sessionId);
    return entries.map((e) => e.messageId);
  }

  async cancel(sessionId: string, messageId: string): Promise<CancelOutcome> {
    // Handed to WhatsApp already: cancelling must not claim to have stopped what went out.
    if (this.#sending.get(sessionId) === messageId) return 'already-sent';
    const key = cancelKey(sessionId, messageId);
    const stored = this.#o.queue.cancel(sessionId, messageId, this.#now());
    this.#cancelling.set(key, stored);
    let outcome: CancelOutcome;
    try {
      outcome = await stored;
    } finally {
      this.#cancelling.delete(key);
    }
    if (outcome === 'cancelled') {
      let done = this.#cancelled.get(sessionId);
      if (!done) this.#cancelled.set(sessionId, (done = new Set()));
      done.add(messageId);
      const row = await this.#o.queue.recipientOf(sessionId, messageId);
      if (row) await this.#o.emit(sessionId, { name: 'message.status', messageId, to: row, status: 'cancelled', timestamp: this.#now() });
    }
    return outcome;
  }

  async pause(sessionId: string, pause: QueuePause): Promise<void> {
    await this.#o.queue.pause(sessionId, pause);
    this.#remember(sessionId, pause);
  }

  async resume(sessionId: string): Promise<void> {
    await this.#o.queue.resume(sessionId);
    this.#remember(sessionId, null);
    this.kick(sessionId);
  }

  /** A warning sign from WhatsApp: the queue pauses and the user hears why. */
  async warn(sessionId: string, warning: SessionWarning): Promise<void> {
    const at = this.#now();
    this.#log.warn({ sessionId, ...warning }, 'WhatsApp warning sign: pausing the outbound queue');
    await this.pause(sessionId, { code: warning.code, message: warning.message, at, until: warning.until ?? null });
    await this.#o.emit(sessionId, { name: 'session.warning', ...warning, queuePaused: true });
  }

  async state(sessionId: string): Promise<QueueState> {
    const now = this.#now();
    const [waiting, pause] = await Promise.all([this.#o.queue.waiting(sessionId), this.#activePause(sessionId, now)]);
    const pausedReason = pause ? { code: pause.code, message: pause.message, at: pause.at, until: pause.until } : null;
    if (waiting.length === 0 || pause) return { depth: waiting.length, paused: pause !== null, pausedReason, nextSendAt: null, etaAt: null };
    // The ETA plays the policy forward over what is waiting, without jitter's draw: half of it on average.
    const policy = this.policyOf(sessionId);
    const sends = [...(await this.#history(sessionId, now))];
    const linkedAt = this.#linkedAt(sessionId);
    let at = now;
    let first: number | null = null;
    for (const to of waiting) {
      at = nextSendAt(policy, { sends, linkedAt }, to, at, 0.5).at;
      first ??= at;
      sends.push({ at, to });
      at += typingMs(policy, 'x'.repeat(20));
    }
    return { depth: waiting.length, paused: false, pausedReason: null, nextSendAt: first, etaAt: at };
  }

  /**
   * The pace for a synchronous send to `to`: how long to wait (within `budgetMs`), or how long until it
   * could go. A granted slot is held until `logSent` so a queued message does not take it too.
   */
  async pace(sessionId: string, to: string, text: string, budgetMs: number): Promise<PaceAnswer> {
    const now = this.#now();
    const policy = this.policyOf(sessionId);
    const decision = nextSendAt(policy, { sends: await this.#history(sessionId, now), linkedAt: this.#linkedAt(sessionId) }, to, now, this.#random());
    const typing = typingMs(policy, text);
    const waitMs = decision.at - now;
    if (waitMs + typing > budgetMs) return { retryAfterMs: Math.max(1, waitMs) };
    const slot = { at: decision.at, to };
    this.#reserved.set(sessionId, [...(this.#reserved.get(sessionId) ?? []), slot]);
    return { waitMs, typingMs: typing };
  }

  /** A synchronous send went (or gave up): its reserved slot becomes a logged send. */
  async logSent(sessionId: string, to: string, sent: boolean): Promise<void> {
    const list = this.#reserved.get(sessionId) ?? [];
    const i = list.findIndex((s) => s.to === to);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#reserved.delete(sessionId);
    if (sent) await this.#o.queue.logSend(sessionId, to, this.#now());
  }

  /**
   * Runs a synchronous send at the session's pace: waits for its slot and shows "typing..." when that fits in
   * `budgetMs`, else answers how long until it would. Unpaced sessions send at once, with nothing logged.
   */
  async paced<T>(session: ManagedSession, sessionId: string, to: string, text: string, budgetMs: number, send: () => Promise<T>): Promise<T | { retryAfterMs: number }> {
    if (!this.policyOf(sessionId).enabled) return send();
    const pace = await this.pace(sessionId, to, text, budgetMs);
    if ('retryAfterMs' in pace) return pace;
    let sent = false;
    try {
      if (pace.waitMs > 0) await new Promise((resolve) => setTimeout(resolve, pace.waitMs));
      await this.#typing(session, to, pace.typingMs);
      const result = await send();
      sent = true;
      return result;
    } finally {
      await this.logSent(sessionId, to, sent);
    }
  }

  async #typing(session: ManagedSession, to: string, ms: number): Promise<void> {
    if (ms <= 0 || !/^\d+$/.test(to)) return;
    // Best effort: a presence that does not go out must not hold the message back.
    await setChatState(session.actionContext(), to, 'typing').catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  kick(sessionId: string): void {
    if (this.#closed) return;
    if (this.#busy.has(sessionId)) {
      this.#again.add(sessionId);
      return;
    }
    const drain = this.#drain(sessionId)
      .catch((err: unknown) => this.#log.error({ err, sessionId }, 'the outbound queue stopped on an error; trying again shortly'))
      .finally(() => {
        this.#busy.delete(sessionId);
        if (this.#again.delete(sessionId)) this.kick(sessionId);
      });
    this.#busy.set(sessionId, drain);
  }

  /**
   * The session was removed (and is no longer held, so no drain can start a send for it): waits for a drain
   * still under way to end (its page goes with it), drops its wake-up and reserved slots, and deletes its
   * queue, pause and pacing log, so nothing of it is sent after and a session created again under its id
   * starts afresh. Its pacing policy stays: the hub sets it again with the session's next desired state.
   */
  async forget(sessionId: string): Promise<void> {
    this.#again.delete(sessionId);
    await this.#busy.get(sessionId);
    // After the drain: it may have set a wake-up (pacing, a pause with an end) before it saw the session gone.
    clearTimeout(this.#timers.get(sessionId));
    this.#timers.delete(sessionId);
    this.#reserved.delete(sessionId);
    await this.#o.queue.forget(sessionId);
  }

  async #kickAll(): Promise<void> {
    try {
      for (const sessionId of await this.#o.queue.sessionsWithWork()) if (!this.#timers.has(sessionId)) this.kick(sessionId);
    } catch (err) {
      this.#log.error({ err }, 'could not read the outbound queue');
    }
  }

  /** When the session's number was linked (its login's own stamp); unknown (not held here) counts as warm. */
  #linkedAt(sessionId: string): number | null {
    return this.#o.session(sessionId)?.linkedAt() ?? null;
  }

  async #history(sessionId: string, now: number): Promise<{ at: number; to: string }[]> {
    return [...(await this.#o.queue.history(sessionId, now)), ...(this.#reserved.get(sessionId) ?? [])];
  }

  /** The pause in force: one with an `until` in the past has ended by itself. */
  async #activePause(sessionId: string, now: number): Promise<QueuePause | null> {
    const pause = await this.#pauseOf(sessionId);
    if (pause?.until !== null && pause?.until !== undefined && pause.until <= now) {
      await this.#o.queue.resume(sessionId);
      this.#remember(sessionId, null);
      return null;
    }
    return pause;
  }

  /** The stored pause, from memory for a held session once read. */
  async #pauseOf(sessionId: string): Promise<QueuePause | null> {
    const session = this.#o.session(sessionId);
    if (session && this.#pauses.has(session)) return this.#pauses.get(session)!;
    const pause = await this.#o.queue.pauseOf(sessionId);
    // A pause or resume written meanwhile is newer than what this read found.
    if (session && !this.#pauses.has(session)) this.#pauses.set(session, pause);
    return pause;
  }

  #remember(sessionId: string, pause: QueuePause | null): void {
    const session = this.#o.session(sessionId);
    if (session) this.#pauses.set(session, pause);
  }

  /**
   * The oldest message waiting, from the page the drain read (a new page when it is used up), past what was
   * cancelled since; waits for a cancel of it that is under way. Null: nothing waits.
   */
  async #next(sessionId: string): Promise<QueuedMessage | null> {
    for (;;) {
      let page = this.#pages.get(sessionId);
      if (!page?.length) {
        // Cancels done before this read are in it; those done after are noted from now on.
        this.#cancelled.delete(sessionId);
        page = await this.#o.queue.upcoming(sessionId, PAGE);
        this.#pages.set(sessionId, page);
        if (page.length === 0) return null;
      }
      const head = page[0]!;
      const cancelling = this.#cancelling.get(cancelKey(sessionId, head.messageId));
      if (cancelling) {
        await cancelling.catch(() => {});
        continue;
      }
      if (this.#cancelled.get(sessionId)?.has(head.messageId)) {
        page.shift();
        continue;
      }
      return head;
    }
  }

  #wake(sessionId: string, at: number): void {
    clearTimeout(this.#timers.get(sessionId));
    const timer = setTimeout(() => {
      this.#timers.delete(sessionId);
      this.kick(sessionId);
    }, Math.max(0, at - this.#now()));
    timer.unref();
    this.#timers.set(sessionId, timer);
  }

  async #drain(sessionId: string): Promise<void> {
    try {
      await this.#drainPages(sessionId);
    } finally {
      // A page is read again by the next drain: what happened between two drains (a requeue, another
      // connector holding the session) is then in it.
      this.#pages.delete(sessionId);
      this.#cancelled.delete(sessionId);
    }
  }

  async #drainPages(sessionId: string): Promise<void> {
    while (!this.#closed) {
      const now = this.#now();
      const pause = await this.#activePause(sessionId, now);
      if (pause) {
        if (pause.until !== null) this.#wake(sessionId, pause.until);
        return;
      }
      const session = this.#o.session(sessionId);
      // Not connected: the messages wait, durable, and the poll comes back for them.
      if (!session || session.status !== 'WORKING') return;
      const next = await this.#next(sessionId);
      if (!next) return;
      // The session went (or was taken again) while the page was read: the next drain reads afresh.
      if (this.#o.session(sessionId) !== session || session.status !== 'WORKING') return;
      const policy = this.policyOf(sessionId);
      // Unpaced, nothing waits: the day's history (a read that grows with each send) is not needed.
      const decision = policy.enabled ? nextSendAt(policy, { sends: await this.#history(sessionId, now), linkedAt: session.linkedAt() }, next.item.to, now, this.#random()) : { at: now };
      if (decision.at > now) {
        this.#wake(sessionId, decision.at);
        return;
      }
      const text = next.item.message.type === 'text' ? next.item.message.text : '';
      await this.#typing(session, next.item.to, typingMs(policy, text));
      // Cancelled while "typing...": it was taken out of the page, or is being.
      if (this.#pages.get(sessionId)?.[0] !== next || this.#cancelling.has(cancelKey(sessionId, next.messageId)) || this.#cancelled.get(sessionId)?.has(next.messageId)) continue;
      // Removed (or taken again) while "typing...": the message is not this session object's to send.
      if (this.#o.session(sessionId) !== session) return;
      this.#pages.get(sessionId)!.shift();
      if (!(await this.#sendOne(session, sessionId, next.messageId, next.item, policy))) return;
    }
  }

  /**
   * Sends one message and records how it ended; false when the drain must stop (the message waits, still
   * queued, for the socket or a resume).
   */
  async #sendOne(session: ManagedSession, sessionId: string, messageId: string, item: QueueItem, policy: PacingPolicy): Promise<boolean> {
    // Held in memory, not written: a crash restarts the row from `queued` with the same id anyway.
    this.#sending.set(sessionId, messageId);
    const finish = () => this.#o.queue.finish(sessionId, messageId, 'sent', this.#now(), policy.enabled ? item.to : null);
    let finished: Promise<void> | null = null;
    try {
      await this.#o.send(session, item, messageId, () => {
        finished = finish();
        // Awaited below, once the send has returned; until then a failure must not go unhandled.
        finished.catch(() => {});
      });
    } catch (err) {
      this.#sending.delete(sessionId);
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      // The socket went: the message waits for the next one, with the same id.
      if (session.status !== 'WORKING') return false;
      const warning = warningOfSendError(err);
      if (warning) {
        // Nothing went out: the message waits, with its id, for the queue to be resumed.
        await this.warn(sessionId, warning);
        return false;
      }
      this.#log.warn({ sessionId, messageId, err: message }, 'a queued message could not be sent');
      await this.#o.queue.finish(sessionId, messageId, 'failed', this.#now(), null);
      await this.#o.emit(sessionId, {
        name: 'message.status',
        messageId,
        to: item.to,
        status: 'failed',
        timestamp: this.#now(),
        error: { code: 'REFUSED', message },
      });
      return true;
    }
    try {
      await (finished ?? finish());
    } finally {
      this.#sending.delete(sessionId);
    }
    return true;
  }
}

const cancelKey = (sessionId: string, messageId: string) => `${sessionId}\n${messageId}`;
