// Brings received media to the Worker: each job (stored before WhatsApp got the receipt) downloads the
// encrypted bytes, decrypts them as they stream (Baileys), checks them against the SHA-256 and length the
// message announced, and PUTs them to the Worker under an id derived from the message. Only then does the
// message.received event, naming the stored media, go to the outbox, and the job is deleted. A crash at any
// point leaves the job, which runs again at the next start. Expired media (the CDN answers 404/410) is
// asked of the sender's phone again (re-upload); after the last attempt the event goes out with
// `media.error` rather than never. A removed session's jobs are deleted and those running stopped; a job
// checks it is still stored (as this connector's) before it uploads or reports, so no retry undoes a
// removal, nor runs a job that moved with its session to another connector.
import type { Readable } from 'node:stream';
import { downloadMediaMessage, type WAMessage } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { MEDIA_LINK_MAX_TTL_MS, signMediaLink } from '../../shared/media-link.ts';
import type { ReceivedMedia } from '../../shared/protocol.ts';
import { announcedMedia, type AnnouncedMedia } from '../whatsapp/incoming-media.ts';
import { receivedMediaId } from './media-id.ts';
import type { IncomingEvent, MediaJob, MediaJobs } from './media-jobs.ts';
import { putMedia } from './media-upload.ts';
import { verifiedStream } from './verified-stream.ts';

/** WhatsApp's own cap on a media file, and the default of MAX_MEDIA_BYTES. */
export const DEFAULT_MAX_MEDIA_BYTES = 100 * 1024 * 1024;
export const DEFAULT_MEDIA_ATTEMPTS = 6;

/** 5 s, 30 s, 2 min, 10 min, 30 min: long enough for a session to come back and for the phone to answer a re-upload. */
export function mediaRetryDelay(attempt: number): number {
  return [5_000, 30_000, 120_000, 600_000, 1_800_000][Math.min(attempt - 1, 4)] ?? 1_800_000;
}

/** The CDN's answers that mean the blob is gone and the sender's phone must upload it again. */
const EXPIRED_STATUS = new Set([404, 410]);

export type MediaReceiverOptions = {
  jobs: MediaJobs;
  /** CONNECTOR_SECRET, which signs the PUT links. */
  secret: string;
  /** The Worker's origin (media/worker-origin.ts). */
  origin: string;
  /** Stores the event durably (the outbox) under `id`. */
  emit: (sessionId: string, event: IncomingEvent, id: string) => Promise<void>;
  /** Asks the sender's phone to upload the media again (Baileys' updateMediaMessage on the session's socket). */
  reupload: (sessionId: string, message: WAMessage) => Promise<WAMessage>;
  /** Baileys' download options, e.g. the dispatcher that trusts the simulator's media host. */
  downloadOptions?: Record<string, unknown>;
  maxBytes?: number;
  maxAttempts?: number;
  retryDelay?: (attempt: number) => number;
  /** Downloads running at once. */
  concurrency?: number;
  /** How long the phone has to answer a re-upload request (Baileys itself waits until the socket closes). */
  reuploadTimeoutMs?: number;
  logger: Logger;
  now?: () => number;
};

class Expired extends Error {}
/** The job's session was removed while it ran: it stops, leaving nothing behind. */
class Removed extends Error {}

type Running = { sessionId: string; abort: AbortController; done: Promise<void> };

export class MediaReceiver {
  readonly #o: Required<Omit<MediaReceiverOptions, 'downloadOptions'>> & Pick<MediaReceiverOptions, 'downloadOptions'>;
  readonly #log: Logger;
  readonly #inFlight = new Map<string, Running>();
  #draining = false;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: MediaReceiverOptions) {
    this.#o = {
      maxBytes: DEFAULT_MAX_MEDIA_BYTES,
      maxAttempts: DEFAULT_MEDIA_ATTEMPTS,
      retryDelay: mediaRetryDelay,
      concurrency: 2,
      reuploadTimeoutMs: 60_000,
      now: Date.now,
      ...options,
    };
    this.#log = options.logger.child({ module: 'media-receiver' });
  }

  /** Stores the job of a received media message (resolves once it is durable) and starts it. */
  async receive(sessionId: string, message: WAMessage, event: IncomingEvent, eventId: string): Promise<void> {
    if (!message.key.id) return;
    await this.#o.jobs.add({ sessionId, messageId: message.key.id, eventId, event, message }, this.#o.now());
    this.kick();
  }

  /** Runs what is due now (jobs left by an earlier run, too). */
  kick(): void {
    if (this.#closed) return;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = true;
    void this.#drain()
      .catch((err: unknown) => this.#log.error({ err }, 'could not read the media jobs'))
      .finally(() => {
        this.#draining = false;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /**
   * The session was removed: its jobs, and the messages they hold, are deleted and those running are
   * stopped. Resolves once none of them runs, so nothing of the session is uploaded or reported after.
   */
  async forget(sessionId: string): Promise<void> {
    await this.#o.jobs.forget(sessionId);
    const running = [...this.#inFlight.values()].filter((r) => r.sessionId === sessionId);
    for (const { abort } of running) abort.abort(new Removed(`session ${sessionId} was removed`));
    await Promise.all(running.map((r) => r.done));
    // The retry timer may have been set for one of those jobs.
    this.kick();
  }

  /** Starts nothing more; jobs in flight finish or are resumed at the next start. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #drain(): Promise<void> {
    const free = this.#o.concurrency - this.#inFlight.size;
    if (free > 0) {
      const jobs = await this.#o.jobs.due(this.#o.now(), free + this.#inFlight.size);
      for (const job of jobs.filter((j) => !this.#inFlight.has(keyOf(j))).slice(0, free)) {
        const abort = new AbortController();
        const done = this.#run(job, abort.signal)
          .catch((err: unknown) => this.#log.error({ err, sessionId: job.sessionId, messageId: job.messageId }, 'media job failed to record its outcome'))
          .finally(() => {
            this.#inFlight.delete(keyOf(job));
            this.kick();
          });
        this.#inFlight.set(keyOf(job), { sessionId: job.sessionId, abort, done });
      }
    }
    const next = await this.#o.jobs.nextDue();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (next !== null && !this.#closed) {
      this.#timer = setTimeout(() => this.kick(), Math.max(next - this.#o.now(), 0) + 10);
      this.#timer.unref();
    }
  }

  async #run(job: MediaJob, signal: AbortSignal): Promise<void> {
    try {
      await this.#attempt(job, signal);
    } catch (err) {
      if (!(err instanceof Removed) && !signal.aborted) throw err;
      this.#log.info({ sessionId: job.sessionId, messageId: job.messageId }, 'media job stopped: its session was removed or moved to another connector');
    }
  }

  async #attempt(job: MediaJob, signal: AbortSignal): Promise<void> {
    const announced = announcedMedia(job.message.message);
    if (!announced) {
      await this.#finish(job, undefined, signal);
      return;
    }
    if (announced.size > this.#o.maxBytes) {
      await this.#finish(job, failed(announced, 'TOO_LARGE', `${announced.size} bytes is over MAX_MEDIA_BYTES (${this.#o.maxBytes})`), signal);
      return;
    }
    try {
      const stored = await this.#store(job, announced, signal);
      await this.#finish(job, { ...describe(announced), ...stored }, signal);
    } catch (err) {
      if (err instanceof Removed || signal.aborted) throw err;
      job.attempts++;
      const message = describeError(err).slice(0, 500);
      if (job.attempts >= this.#o.maxAttempts) {
        this.#log.warn({ sessionId: job.sessionId, messageId: job.messageId, attempts: job.attempts, err: message }, 'media could not be fetched; reporting the message without it');
        await this.#finish(job, failed(announced, err instanceof Expired ? 'EXPIRED' : 'DOWNLOAD_FAILED', message), signal);
        return;
      }
      this.#log.info({ sessionId: job.sessionId, messageId: job.messageId, attempts: job.attempts, err: message }, 'media download failed; retrying later');
      await this.#o.jobs.retryAt(job, this.#o.now() + this.#o.retryDelay(job.attempts));
    }
  }

  /** Downloads, checks and stores the bytes; returns the media id they are stored under and their SHA-256. */
  async #store(job: MediaJob, announced: AnnouncedMedia, signal: AbortSignal): Promise<{ id: string; sha256: string }> {
    let source: Readable;
    try {
      source = await this.#download(job.message, signal);
    } catch (err) {
      if (signal.aborted || !EXPIRED_STATUS.has(httpStatus(err))) throw err;
      this.#log.info({ sessionId: job.sessionId, messageId: job.messageId }, 'media expired on the CDN; asking the phone to upload it again');
      try {
        job.message = await withTimeout(untilAborted(this.#o.reupload(job.sessionId, job.message), signal), this.#o.reuploadTimeoutMs, 'the phone did not answer in time');
      } catch (cause) {
        if (signal.aborted) throw cause;
        throw new Expired(`media expired and the phone did not upload it again: ${cause instanceof Error ? cause.message : String(cause)}`);
      }
      // The new direct path is kept, so a crash from here on does not ask the phone again.
      await this.#o.jobs.retryAt(job, job.nextAt);
      source = await this.#download(job.message, signal);
    }
    try {
      await this.#stillStored(job, signal);
    } catch (err) {
      source.destroy();
      throw err;
    }
    const id = receivedMediaId(job.eventId);
    const link = await signMediaLink(this.#o.secret, this.#o.origin, 'PUT', job.sessionId, id, this.#o.now() + MEDIA_LINK_MAX_TTL_MS);
    const checked = verifiedStream({ size: announced.size, ...(announced.sha256 ? { sha256: announced.sha256 } : {}) });
    source.once('error', (err) => checked.destroy(err));
    await putMedia(link, source.pipe(checked), { size: announced.size, contentType: announced.mimetype, filename: announced.filename, signal });
    return { id, sha256: checked.seen().sha256 };
  }

  #download(message: WAMessage, signal: AbortSignal): Promise<Readable> {
    return downloadMediaMessage(message, 'stream', { options: { ...this.#o.downloadOptions, signal } }) as Promise<Readable>;
  }

  /** A job whose row is gone belongs to a removed session (even one removed before `forget` saw it run). */
  async #stillStored(job: MediaJob, signal: AbortSignal): Promise<void> {
    const stored = await this.#o.jobs.has(job.sessionId, job.messageId);
    if (!stored || signal.aborted) throw new Removed(`session ${job.sessionId} was removed`);
  }

  async #finish(job: MediaJob, media: ReceivedMedia | undefined, signal: AbortSignal): Promise<void> {
    await this.#stillStored(job, signal);
    await this.#o.emit(job.sessionId, media ? { ...job.event, media } : job.event, job.eventId);
    await this.#o.jobs.remove(job.sessionId, job.messageId);
  }
}

const keyOf = (job: Pick<MediaJob, 'sessionId' | 'messageId'>) => `${job.sessionId}\n${job.messageId}`;

function describe({ kind: _kind, ...media }: AnnouncedMedia): Omit<ReceivedMedia, 'id' | 'error'> {
  return media;
}

function failed(announced: AnnouncedMedia, code: NonNullable<ReceivedMedia['error']>['code'], message: string): ReceivedMedia {
  return { ...describe(announced), error: { code, message } };
}

/** An error in words, with its cause: fetch says only "fetch failed" and hides why in `cause`. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}${(err.cause as { code?: string }).code ? ` (${(err.cause as { code?: string }).code})` : ''}` : '';
  return `${err.message}${cause}`;
}

/** Rejects with the abort's reason as soon as `signal` aborts, whatever `promise` is still waiting for. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The HTTP status of a failed download, as Baileys' Boom carries it. */
function httpStatus(err: unknown): number {
  const e = err as { output?: { statusCode?: unknown }; status?: unknown } | null;
  const status = e?.output?.statusCode ?? e?.status;
  return typeof status === 'number' ? status : 0;
}
