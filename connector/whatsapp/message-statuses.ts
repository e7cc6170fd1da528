// One session's status reporting for the messages it sent. Baileys reports a status in three places (the
// upsert of its own sent message, into which it folds receipts landing within ~100 ms of the send; a
// messages.update; and, for the server's ack, nothing: the socket's ack node), in any order. Each report
// goes through here: one message's reports are handled one at a time, and the stored last status decides
// what is new (status-progress.ts), so each status is emitted once and in order, also across restarts.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { SendFailure, SessionEvent } from '../../shared/protocol.ts';
import type { MessageStatusStore } from './message-status-store.ts';
import { statusesToReport, type OutgoingStatus } from './status-progress.ts';

/** How many recent sends are remembered, for their ack and their upsert (both come within seconds). */
const RECENT_SENDS = 5_000;

export type MessageStatusesOptions = {
  sessionId: string;
  store: MessageStatusStore;
  /** Stores an event durably (the outbox) under the given id. */
  emit: (event: SessionEvent, id: string) => Promise<void>;
  logger: Logger;
  now: () => number;
};

/**
 * The event id of a status: derived, not random, so an event re-emitted after a crash between the outbox
 * write and the status record is stored once by the hub.
 */
export function statusEventId(sessionId: string, messageId: string, status: OutgoingStatus): string {
  return `sts-${createHash('sha256').update(`${sessionId}\n${messageId}\n${status}`).digest('hex').slice(0, 40)}`;
}

export class MessageStatuses {
  readonly #o: MessageStatusesOptions;
  /** The tail of each message's chain of reports, while one is running. */
  readonly #chains = new Map<string, Promise<void>>();
  /**
   * Recent sends of this session, by message id: the recipient's phone, whether the server acked it, and
   * its last status as this tracker read or stored it since the socket opened (undefined: not known, ask
   * the store). A send gets two or three reports; only the first reads the store.
   */
  readonly #sends = new Map<string, { to: string; acked: boolean; last?: OutgoingStatus | null }>();

  constructor(options: MessageStatusesOptions) {
    this.#o = options;
  }

  /**
   * A send with this id is about to go out to `to`: the server's ack of it will mean `sent`. Its statuses
   * wait until `release` is called, after its message.sent event is stored, so none precedes that record.
   */
  sending(messageId: string, to: string): { release: () => void } {
    this.#sends.set(messageId, { to, acked: false });
    if (this.#sends.size > RECENT_SENDS) this.#sends.delete(this.#sends.keys().next().value!);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.#chain(messageId, () => gate);
    return { release };
  }

  /**
   * A socket for the session opens. Another process may have run the session since the last one closed (a
   * connector that took it over while this one was fenced) and stored statuses of these sends: what this
   * tracker remembers of them is read again from the store.
   */
  opened(): void {
    for (const send of this.#sends.values()) delete send.last;
  }

  /** Whether `messageId` is a recent send of this session, whose statuses this tracker awaits. */
  tracks(messageId: string): boolean {
    return this.#sends.has(messageId);
  }

  /** The server acked a message stanza; an ack of one of our sends (without an error) means it was sent. */
  acked(messageId: string, timestamp: number): Promise<void> {
    const send = this.#sends.get(messageId);
    if (!send || send.acked) return Promise.resolve();
    send.acked = true;
    return this.report(messageId, send.to, 'sent', timestamp);
  }

  /**
   * Baileys' upsert of a message it sent, whose status holds any receipt that landed while the upsert was
   * buffered. Only our own sends count: a message the phone sent upserts here too, as merely acked.
   */
  upserted(messageId: string, status: OutgoingStatus, timestamp: number, failure?: SendFailure): Promise<void> {
    const send = this.#sends.get(messageId);
    return send ? this.report(messageId, send.to, status, timestamp, failure) : Promise.resolve();
  }

  /** A status Baileys reported for a message sent to `to` (with why, if `failed`); emits whatever it adds, in order. */
  report(messageId: string, to: string, status: OutgoingStatus, timestamp: number, failure?: SendFailure): Promise<void> {
    return this.#chain(messageId, async () => {
      const { sessionId, store, emit, now } = this.#o;
      const send = this.#sends.get(messageId);
      let last = send?.last;
      if (last === undefined) {
        last = await store.last(sessionId, messageId);
        if (send) send.last = last;
      }
      for (const step of statusesToReport(last, status)) {
        const error = step === 'failed' && failure ? { error: failure } : {};
        await emit({ name: 'message.status', messageId, to, status: step, timestamp, ...error }, statusEventId(sessionId, messageId, step));
        await store.record(sessionId, messageId, step, now());
        if (send) send.last = step;
      }
    });
  }

  #chain(messageId: string, work: () => Promise<void>): Promise<void> {
    const run = (this.#chains.get(messageId) ?? Promise.resolve()).then(work);
    const tail = run.catch((err: unknown) => this.#o.logger.error({ err, messageId }, 'could not report a message status'));
    this.#chains.set(messageId, tail);
    void tail.then(() => {
      if (this.#chains.get(messageId) === tail) this.#chains.delete(messageId);
    });
    return tail;
  }
}
