// Lets only a few sessions open their WhatsApp sockets at the same time, so restoring 300 sessions
// after a restart does not hit WhatsApp (and the DB) with 300 handshakes at once.

export type StartQueue = {
  /** Runs `task` when a slot is free; resolves with it. */
  run<T>(task: () => Promise<T>): Promise<T>;
};

export function createStartQueue(concurrency: number): StartQueue {
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    running--;
    waiting.shift()?.();
  };
  return {
    async run(task) {
      if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
      running++;
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
