// Durability for the local store without stalling the event loop. With SQLite's default (synchronous=FULL)
// every commit fsyncs the WAL inside the driver's synchronous call: 0.3 ms on an idle disk, 5 ms and more on a
// busy one, with nothing else running in the connector meanwhile (41% of its samples under the send bench).
// The store runs with synchronous=NORMAL instead, where a commit only writes the WAL, and the WAL is fsynced
// here, on libuv's thread pool, before anyone is told the commit happened. The WAL is written in order, so one
// fsync makes every commit before it durable: commits that finish while an fsync runs share the next one.
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What WalSync needs of the file system; the real one by default, a counting one in tests. */
export type WalFiles = {
  /** Opens `path` for fsync; null when it does not exist. */
  open(path: string): Promise<Pick<FileHandle, 'sync' | 'close'> | null>;
  /** fsyncs a directory, so a file created in it stays after a power loss. */
  syncDir(path: string): Promise<void>;
};

const realFiles: WalFiles = {
  open: (path) =>
    open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    }),
  async syncDir(path) {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/**
 * fsyncs one database's WAL, shared by everyone who asks at once. The file is opened once and kept: SQLite
 * removes a WAL only when the last connection to the database closes, and this process holds one until
 * `reset` (the store closing or reconnecting).
 */
export class WalSync {
  readonly #walPath: string;
  readonly #files: WalFiles;
  #handle: Pick<FileHandle, 'sync' | 'close'> | null = null;
  #running: Promise<void> | null = null;
  #queued: Promise<void> | null = null;
  /** fsyncs made, for the tests and the benchmark's figures. */
  syncs = 0;

  constructor(walPath: string, files: WalFiles = realFiles) {
    this.#walPath = walPath;
    this.#files = files;
  }

  /** Resolves once everything committed before the call is on disk; rejects if the disk says it is not. */
  sync(): Promise<void> {
    if (!this.#running) return this.#start();
    // The fsync running may have begun before this caller's commit: wait for the next one, shared by all who
    // ask meanwhile.
    this.#queued ??= this.#running
      .catch(() => {})
      .then(() => {
        this.#queued = null;
        return this.#start();
      });
    return this.#queued;
  }

  /** Forgets the open WAL (the connection closed: SQLite may remove the file and make a new one). */
  reset(): void {
    const handle = this.#handle;
    this.#handle = null;
    void handle?.close().catch(() => {});
  }

  #start(): Promise<void> {
    const run = this.#syncOnce().finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }

  async #syncOnce(): Promise<void> {
    this.syncs++;
    if (!this.#handle) {
      const handle = await this.#files.open(this.#walPath);
      // No WAL: nothing was written since SQLite checkpointed it into the database file (syncing both).
      if (!handle) return;
      // A WAL file created since is durable only once its directory entry is too.
      await this.#files.syncDir(dirname(this.#walPath));
      this.#handle = handle;
    }
    await this.#handle.sync();
  }
}
