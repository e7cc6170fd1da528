// Converges the sessions this connector holds on the hub's desired state (welcome / desired / remove),
// one change at a time per session, and restores running sessions through a small start queue.
import type { SessionStatus } from '../../shared/status.ts';
import type { Logger } from 'pino';
import type { DesiredSession } from '../../shared/protocol.ts';
import type { AuthStore } from './auth-state.ts';
import type { WhatsAppSession, Why } from './session.ts';
import type { LoginHandover } from './login-handover.ts';
import type { SessionHolds } from './session-holds.ts';
import type { SessionEpochs } from './session-epochs.ts';
import type { StartQueue } from './start-queue.ts';

/** What the manager needs of a session (WhatsAppSession in production). */
export type ManagedSession = Pick<WhatsAppSession, 'status' | 'active' | 'start' | 'stop' | 'unlinkAndWipe' | 'sendText' | 'sendContent' | 'actionContext' | 'reuploadMedia' | 'runGroupCommand' | 'requestPairingCode' | 'expectPhone' | 'hold' | 'lastSeenAt' | 'linkedAt'>;

export type SessionManagerOptions = {
  createSession: (sessionId: string) => ManagedSession;
  authStore: AuthStore;
  epochs: SessionEpochs;
  holds: SessionHolds;
  startQueue: StartQueue;
  logger: Logger;
  /**
   * Deletes what a removed session left in the store beside its login: its media jobs (stopping any
   * running), its outbound queue, queue pause and pacing log (stopping its drain), its message statuses.
   */
  forget: (sessionId: string) => Promise<void>;
  /** Takes over the login of a session moved here from another connector on a shared store. */
  handover?: LoginHandover;
};

type Held = { session: ManagedSession; desired: DesiredSession | null };

export class SessionManager {
  readonly #o: SessionManagerOptions;
  readonly #held = new Map<string, Held>();
  /** Per-session chain so two frames about one session never interleave. */
  readonly #queues = new Map<string, Promise<void>>();
  readonly #log: Logger;

  constructor(options: SessionManagerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'session-manager' });
  }

  get(sessionId: string): ManagedSession | undefined {
    return this.#held.get(sessionId)?.session;
  }

  /** The status of every session held in memory, for the hello: the hub's view may be older than ours. */
  statuses(): { sessionId: string; status: SessionStatus }[] {
    return [...this.#held].map(([sessionId, { session }]) => ({ sessionId, status: session.status }));
  }

  /** When each WORKING session last heard from WhatsApp. */
  lastSeen(): { sessionId: string; at: number }[] {
    const seen: { sessionId: string; at: number }[] = [];
    for (const [sessionId, { session }] of this.#held) if (session.lastSeenAt !== null) seen.push({ sessionId, at: session.lastSeenAt });
    return seen;
  }

  /**
   * The full desired set after each (re)connect, and the sessions the hub names as deleted. Only those
   * `removed` are unlinked and wiped: a session held but merely not listed (assigned to another connector,
   * or a hub on an empty or wrong database) is stopped and its login kept, because absence is never an
   * instruction to destroy. Drops run beside the listed sessions: unlinking may wait for WhatsApp.
   */
  async applyWelcome(sessions: DesiredSession[], removed: string[]): Promise<void> {
    const wanted = new Set(sessions.map((s) => s.sessionId));
    const drop = new Set(removed.filter((id) => !wanted.has(id)));
    const release = [...this.#held.keys()].filter((id) => !wanted.has(id) && !drop.has(id));
    await Promise.all([
      ...[...drop].map((id) => this.#serial(id, () => this.#drop(id))),
      ...release.map((id) => this.#serial(id, () => this.#release(id))),
      this.applyDesired(sessions),
    ]);
  }

  /** Applies each entry; starts are queued and not awaited, so one slow handshake does not hold the link. */
  async applyDesired(sessions: DesiredSession[]): Promise<void> {
    await Promise.all(sessions.map((d) => this.#serial(d.sessionId, () => this.#apply(d))));
  }

  /** The hub moves the session to another connector: its socket closes quietly here, its login stays. */
  async release(sessionId: string): Promise<{ done: true }> {
    await this.#serial(sessionId, () => this.#release(sessionId));
    return { done: true };
  }

  async remove(sessionIds: string[]): Promise<void> {
    await Promise.all(sessionIds.map((id) => this.#serial(id, () => this.#drop(id))));
  }

  /**
   * A session stopped itself after unscanned QR rounds: it stays stopped, across restarts too, until a
   * start newer than the desired state it was running under.
   */
  async qrTimedOut(sessionId: string, why: Why): Promise<void> {
    const startEpoch = this.#held.get(sessionId)?.desired?.startEpoch ?? 0;
    await this.#o.holds.set(sessionId, { startEpoch, reason: 'QR_TIMEOUT', message: why.message });
  }

  /**
   * The lease could not be renewed: every socket closes (reported with `why`, logins kept) before the hub
   * may give the sessions to another connector. The next welcome starts again those still assigned here.
   */
  async fence(why: Why): Promise<void> {
    await Promise.all([...this.#held.keys()].map((id) => this.#serial(id, async () => {
      const session = this.#held.get(id)?.session;
      if (session?.active) await session.stop({ why });
    })));
  }

  /** Process shutdown: closes every socket without unlinking and without status events. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#held.values()].map(({ session }) => session.stop({ quiet: true })));
  }

  async #apply(desired: DesiredSession): Promise<void> {
    const id = desired.sessionId;
    let held = this.#held.get(id);
    if (!held) {
      const from = await this.#o.handover?.adopt(id);
      if (from) this.#log.info({ sessionId: id, from }, 'session moved here: took its login over from the connector that ran it');
      held = { session: this.#o.createSession(id), desired: null };
      this.#held.set(id, held);
    }
    const { session } = held;
    const previous = held.desired;
    held.desired = desired;
    session.expectPhone(desired.phone);

    const applied = await this.#o.epochs.get(id);
    // A session seen for the first time adopts the hub's epoch: there is no older login to forget.
    const epochBumped = applied !== null && desired.authEpoch > applied;
    if (epochBumped) {
      this.#log.info({ sessionId: id, from: applied, to: desired.authEpoch }, 'auth epoch bumped; forgetting the WhatsApp login');
      await session.unlinkAndWipe({ code: 'LOGIN_RESET', message: `login reset (auth epoch ${desired.authEpoch})` });
      await this.#o.holds.delete(id);
    }
    if (applied === null || epochBumped) await this.#o.epochs.set(id, desired.authEpoch);

    if (desired.state === 'stopped') {
      // A wiped login stays LOGGED_OUT (until the user starts it and scans a new QR): STOPPED would say a
      // login is kept to resume. Only a socket (or a status it left behind) needs stopping.
      const idle = session.status === 'STOPPED' || session.status === 'LOGGED_OUT';
      if (session.active || !idle) await session.stop();
      return;
    }
    // A logged-out session waits for the user (a new epoch or a stop and start) instead of showing QR
    // codes to nobody; any other idle session is (re)started.
    const userAskedAgain = epochBumped || previous?.state === 'stopped';
    const hold = await this.#o.holds.get(id);
    if (hold) {
      if ((desired.startEpoch ?? 0) <= hold.startEpoch) {
        // Reported again after a restart (the hub would show STARTING), deduplicated otherwise.
        if (!session.active) await session.hold({ code: hold.reason, message: hold.message });
        return;
      }
      await this.#o.holds.delete(id);
    }
    if (session.active || (session.status === 'LOGGED_OUT' && !userAskedAgain)) return;
    void this.#o.startQueue.run(() => session.start()).catch((err: unknown) => this.#log.error({ err, sessionId: id }, 'session start failed'));
  }

  /** No longer ours to run: the socket closes without a status event (the hub no longer routes it here). */
  async #release(sessionId: string): Promise<void> {
    const held = this.#held.get(sessionId);
    if (!held) return;
    this.#held.delete(sessionId);
    await held.session.stop({ quiet: true });
    this.#log.info({ sessionId }, 'session not assigned to this connector any more: stopped, login kept');
  }

  async #drop(sessionId: string): Promise<void> {
    const held = this.#held.get(sessionId);
    this.#held.delete(sessionId);
    // A login only in the auth store (deleted while the connector was down, named in the welcome's
    // `removed`) is still a linked device on the phone: a throwaway session unlinks it the same way,
    // without reporting anything.
    const session = held?.session ?? this.#o.createSession(sessionId);
    await session.unlinkAndWipe();
    await this.#o.epochs.delete(sessionId);
    await this.#o.holds.delete(sessionId);
    // Once its socket is closed, so nothing of it (a media job, a status) can be stored after; no longer
    // held, it takes no queue command either. Its media jobs and queued messages hold its users' messages.
    await this.#o.forget(sessionId);
    this.#log.info({ sessionId }, 'session dropped');
  }

  #serial(sessionId: string, task: () => Promise<void>): Promise<void> {
    const next = (this.#queues.get(sessionId) ?? Promise.resolve()).then(task);
    const tail = next.catch((err: unknown) => this.#log.error({ err, sessionId }, 'applying desired state failed'));
    this.#queues.set(sessionId, tail);
    void tail.then(() => {
      if (this.#queues.get(sessionId) === tail) this.#queues.delete(sessionId);
    });
    return tail;
  }
}
