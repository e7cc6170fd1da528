// Forgets a session's stored WhatsApp login so that the phone forgets the device too: a paired login is
// first recorded as a pending unlink, then wiped, then logged out over a quiet socket. A logout that does
// not reach WhatsApp is retried with backoff, and again after every connector start, until it does.
import type { Logger } from 'pino';
import { nextReconnectDelay } from '../reconnect-delay.ts';
import type { AuthStore } from './auth-state.ts';
import type { PendingUnlinks } from './pending-unlinks.ts';
import { quietLogout, type QuietLogoutResult } from './quiet-logout.ts';
import type { SessionOptions, SocketFactory } from './session.ts';
import { createStartQueue, type StartQueue } from './start-queue.ts';

export type DeviceUnlinkerOptions = {
  authStore: AuthStore;
  pending: PendingUnlinks;
  makeSocket: SocketFactory;
  socketConfig: SessionOptions['socketConfig'];
  logger: Logger;
  baileysLogger?: Logger;
  /** How long one attempt waits for WhatsApp to open the login. */
  openTimeoutMs?: number;
  /** Delay before retry number `attempt` (0 for the first retry). */
  retryDelay?: (attempt: number) => number;
  /** Logout sockets open at the same time; their own queue, so they never hold up session starts. */
  concurrency?: number;
};

/** Retries start at about 10 s and settle at about 30 min: WhatsApp may be away for long, and nobody waits. */
const RETRY_DELAY = { baseMs: 10_000, maxMs: 30 * 60_000 };

export class DeviceUnlinker {
  readonly #o: DeviceUnlinkerOptions;
  readonly #log: Logger;
  readonly #queue: StartQueue;
  /** One attempt per device at a time, whoever asks for it (a reset, a retry timer, the start). */
  readonly #inFlight = new Map<string, Promise<boolean>>();
  readonly #retries = new Map<string, NodeJS.Timeout>();
  readonly #closing = new AbortController();

  constructor(options: DeviceUnlinkerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'device-unlinker' });
    this.#queue = createStartQueue(options.concurrency ?? 5);
  }

  /**
   * Wipes the session's stored login; a paired one is logged out of WhatsApp first if it can be within
   * one attempt, else later. Resolves after that attempt; the login is gone from the auth store either way.
   */
  async forgetStoredLogin(sessionId: string): Promise<void> {
    const { creds } = (await this.#o.authStore.load(sessionId)).state;
    const me = creds.me;
    // Recorded before the wipe: a crash in between leaves both, and the next reset or start finishes it.
    if (me) await this.#o.pending.add(sessionId, { ...creds, me });
    await this.#o.authStore.wipe(sessionId);
    if (me) await this.#attempt(sessionId, me.id);
  }

  /** Tries every pending unlink (at start); each one that does not reach WhatsApp is retried with backoff. */
  async resume(): Promise<void> {
    const pending = await this.#o.pending.list();
    if (pending.length > 0) this.#log.info({ count: pending.length }, 'retrying pending device unlinks');
    await Promise.all(pending.map((p) => this.#attempt(p.sessionId, p.device)));
  }

  /** Connector shutdown: ends open logout sockets and retry timers; pending unlinks stay recorded. */
  async close(): Promise<void> {
    this.#closing.abort();
    for (const timer of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
    await Promise.all(this.#inFlight.values());
  }

  /** One logout attempt for a pending device; true once it is unlinked (or no longer pending). */
  #attempt(sessionId: string, device: string): Promise<boolean> {
    const key = `${sessionId}\n${device}`;
    const running = this.#inFlight.get(key);
    if (running) return running;
    const timer = this.#retries.get(key);
    if (timer) clearTimeout(timer);
    this.#retries.delete(key);
    const attempt = this.#queue
      .run(() => this.#logout(sessionId, device))
      .catch((err: unknown) => {
        this.#log.error({ err, sessionId, device }, 'device unlink attempt failed');
        return false;
      })
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, attempt);
    return attempt;
  }

  async #logout(sessionId: string, device: string): Promise<boolean> {
    const pending = await this.#o.pending.get(sessionId, device);
    if (!pending) return true;
    if (this.#closing.signal.aborted) return false;
    let result: QuietLogoutResult;
    try {
      result = await quietLogout({
        creds: pending.creds,
        makeSocket: this.#o.makeSocket,
        socketConfig: this.#o.socketConfig,
        timeoutMs: this.#o.openTimeoutMs ?? 20_000,
        signal: this.#closing.signal,
        ...(this.#o.baileysLogger ? { baileysLogger: this.#o.baileysLogger } : {}),
      });
    } catch (err) {
      result = { outcome: 'not-reached', reason: `socket could not be opened: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (result.outcome !== 'not-reached') {
      await this.#o.pending.done(sessionId, device);
      this.#log.info({ sessionId, device, outcome: result.outcome }, 'device unlinked from WhatsApp');
      return true;
    }
    const attempts = await this.#o.pending.failed(sessionId, device);
    if (this.#closing.signal.aborted) return false;
    const delayMs = (this.#o.retryDelay ?? ((n) => nextReconnectDelay(n, RETRY_DELAY)))(attempts - 1);
    this.#log.warn({ sessionId, device, attempts, delayMs, reason: result.reason }, 'could not unlink the device from WhatsApp; will retry');
    const key = `${sessionId}\n${device}`;
    const timer = setTimeout(() => {
      this.#retries.delete(key);
      void this.#attempt(sessionId, device);
    }, delayMs);
    // A retry far in the future must not keep a stopping process alive.
    timer.unref();
    this.#retries.set(key, timer);
    return false;
  }
}
