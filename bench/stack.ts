// The gateway's edge for benchmarks: as testing/stack.ts (libSQL server + the Worker in workerd) with the
// bare Hono reference worker (bare-worker/) added to the same workerd, reached with Host: BARE_HOST.
import { join } from 'node:path';
import { startStack, type Stack } from '../testing/stack.ts';
import { DO_TAIL_CONFIG, DO_TAIL_NAME } from './do-tail/invocations.ts';

export const BARE_HOST = 'bare.bench.local';

/** Limits high enough that the benchmarks measure the gateway, not its rate limiter (they apply at key creation). */
export const UNLIMITED_VARS = {
  RATE_LIMIT_SEND_PER_MIN: '1000000',
  RATE_LIMIT_OTHER_PER_MIN: '1000000',
  ADMIN_RATE_LIMIT_SEND_PER_MIN: '1000000',
  ADMIN_RATE_LIMIT_OTHER_PER_MIN: '1000000',
};

export type BenchStack = Stack;

/** `countInvocations`: the do-tail Tail Worker counts every invocation (it costs workerd time, so only on ask). */
export function startBenchStack(vars: Record<string, string> = UNLIMITED_VARS, countInvocations = false): Promise<BenchStack> {
  const bare = join(import.meta.dirname, 'bare-worker', 'wrangler.toml');
  if (!countInvocations) return startStack(vars, { extraWorkerConfigs: [bare] });
  return startStack(vars, { extraWorkerConfigs: [bare, DO_TAIL_CONFIG], tailConsumers: [DO_TAIL_NAME] });
}
