// Bounded retrying for conditions that have no event to wait on (an HTTP status, a database row): the
// check runs again quickly until it stops throwing, and the last failure is reported at the deadline.

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Runs `check` until it returns without throwing and resolves with its value; rethrows its last error at the deadline. */
export async function eventually<T>(check: () => T | Promise<T>, { timeoutMs = 10_000, intervalMs = 50 }: EventuallyOptions = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) {
        if (error instanceof Error) error.message = `still failing after ${timeoutMs} ms: ${error.message}`;
        throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
