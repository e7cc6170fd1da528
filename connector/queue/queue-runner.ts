// Drains each session's durable outbound queue at the pace its policy allows: one message at a time per
// session, "typing..." shown for a time proportional to the text, each sent with the id it got at enqueue.
// WhatsApp's warning signs pause the queue (kept paused across restarts) until resumed. Synchronous sends
// ask it how long they must wait, so both paths share one pace.
import { generateMessageIDV2 } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { DEFAULT_PACING, nextSendAt, typingMs, type PacingPolicy } from '../../shared/pacing.ts';
import type { QueueItem, QueueState, SessionEvent } from '../../shared/protocol.ts';
import type { ManagedSession } from '../whatsapp/session-manager.ts';
import type { QueuePause, SendQueue } from './send-queue.ts';
import { setChatState } from '../whatsapp/message-actions.ts';
import { warningOfSendError, type SessionWarning } from './warning-signs.ts';

/** How often sessions with waiting messages are looked at, besides the kicks of enqueue, resume and timers. */
const POLL_MS = 1_000;

export type QueueRunnerOptions = {
  queue: SendQueue;
  session: (sessionId: string) => ManagedSession | undefined;
  /** Sends one queued message with its fixed id (commands.ts sendMessage). */
  send: (session: ManagedSession, item: QueueItem, messageId: string) => Promise<unknown>;
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
  readonly #busy = new Set<string>();
  readonly #again = new Set<string>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Synchronous sends promised a slot, not yet logged: the queue must not take the same slot. */
  readonly #reserved = new Map<string, { at: number; to: string }[]>();
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

  async cancel(sessionId: string, messageId: string) {
    const outcome = await this.#o.queue.cancel(sessionId, messageId, this.#now());
    if (outcome === 'cancelled') {
      const row = await this.#o.queue.recipientOf(sessionId, messageId);
      if (row) await this.#o.emit(sessionId, { name: 'message.status', messageId, to: row, status: 'cancelled', timestamp: this.#now() });
    }
    return outcome;
  }

  async pause(sessionId: string, pause: QueuePause): Promise<void> {
    await this.#o.queue.pause(sessionId, pause);
  }

  async resume(sessionId: string): Promise<void> {
    await this.#o.queue.resume(sessionId);
    this.kick(sessionId);
  }

  /** A warning sign from WhatsApp: the queue pauses and the user hears why. */
  async warn(sessionId: string, warning: SessionWarning): Promise<void> {
    const at = this.#now();
    this.#log.warn({ sessionId, ...warning }, 'WhatsApp warning sign: pausing the outbound queue');
    await this.#o.queue.pause(sessionId, { code: warning.code, message: warning.message, at, until: warning.until ?? null });
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
    this.#busy.add(sessionId);
    void this.#drain(sessionId)
      .catch((err: unknown) => this.#log.error({ err, sessionId }, 'the outbound queue stopped on an error; trying again shortly'))
      .finally(() => {
        this.#busy.delete(sessionId);
        if (this.#again.delete(sessionId)) this.kick(sessionId);
      });
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
    const pause = await this.#o.queue.pauseOf(sessionId);
    if (pause?.until !== null && pause?.until !== undefined && pause.until <= now) {
      await this.#o.queue.resume(sessionId);
      return null;
    }
    return pause;
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
      const next = await this.#o.queue.next(sessionId);
      if (!next) return;
      const policy = this.policyOf(sessionId);
      // Unpaced, nothing waits: the day's history (a read that grows with each send) is not needed.
      const decision = policy.enabled ? nextSendAt(policy, { sends: await this.#history(sessionId, now), linkedAt: session.linkedAt() }, next.item.to, now, this.#random()) : { at: now };
      if (decision.at > now) {
        this.#wake(sessionId, decision.at);
        return;
      }
      await this.#sendOne(session, sessionId, next.messageId, next.item, policy);
    }
  }

  async #sendOne(session: ManagedSession, sessionId: string, messageId: string, item: QueueItem, policy: PacingPolicy): Promise<void> {
    const text = item.message.type === 'text' ? item.message.text : '';
    await this.#typing(session, item.to, typingMs(policy, text));
    await this.#o.queue.markSending(sessionId, messageId);
    try {
      await this.#o.send(session, item, messageId);
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      if (session.status !== 'WORKING') {
        // The socket went: the message waits for the next one, with the same id.
        await this.#o.queue.requeue(sessionId, messageId);
        return;
      }
      const warning = warningOfSendError(err);
      if (warning) {
        // Nothing went out: the message waits, with its id, for the queue to be resumed.
        await this.#o.queue.requeue(sessionId, messageId);
        await this.warn(sessionId, warning);
        return;
      }
      this.#log.warn({ sessionId, messageId, err: message }, 'a queued message could not be sent');
      await this.#o.queue.finish(sessionId, messageId, 'failed', this.#now(), item.to);
      await this.#o.emit(sessionId, {
        name: 'message.status',
        messageId,
        to: item.to,
        status: 'failed',
        timestamp: this.#now(),
        error: { code: 'REFUSED', message },
      });
      return;
    }
    await this.#o.queue.finish(sessionId, messageId, 'sent', this.#now(), item.to);
  }
}
