// The Worker bundled once for a whole test run. Every file that starts a stack would otherwise have wrangler
// bundle the same sources again (2-3 s each, about a hundred times a run). The bundle is the one wrangler's
// test harness itself builds for local runs, with the middleware local runs need (an unread request body is
// drained, as Cloudflare's edge does, so a refusal reaches the client instead of a reset connection).
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestHarness } from 'wrangler';

/** Where startStack finds the bundle; unset outside vitest (benchmarks), where each stack bundles its own. */
export const WORKER_BUNDLE_ENV = 'KABAR_TEST_WORKER_BUNDLE';

/** Starts the Worker once from `configPath` and keeps the bundle wrangler built for it in a fresh directory. */
export async function buildWorkerBundle(configPath: string): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'kabar-worker-bundle-'));
  const harness = createTestHarness({ workers: [{ configPath }] });
  try {
    await harness.listen();
    // Wrangler writes a local run's bundle to .wrangler/tmp/dev-* beside the config, and removes it at close.
    const tmp = join(configPath, '..', '.wrangler', 'tmp');
    const built = (await readdir(tmp)).filter((name) => name.startsWith('dev-'));
    if (built.length !== 1) throw new Error(`expected one bundle in ${tmp}, found ${built.length}`);
    await cp(join(tmp, built[0]!), out, { recursive: true });
  } catch (error) {
    await rm(out, { recursive: true, force: true });
    throw error;
  } finally {
    await harness.close();
  }
  return out;
}
