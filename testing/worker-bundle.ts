// The Worker bundled once for a whole test run: wrangler's own build (`deploy --dry-run`) into a temporary
// folder, which every test stack then loads as a prebuilt Worker instead of bundling the same source again.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..');

/** Set by the test run's global setup for the stacks it starts (testing/stack.ts). */
export const WORKER_BUNDLE_VARIABLE = 'KABAR_TEST_WORKER_BUNDLE';

export async function bundleWorker(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kabar-worker-bundle-'));
  const wrangler = join(REPO, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  try {
    await run(process.execPath, [wrangler, 'deploy', '--dry-run', '--config', join(REPO, 'wrangler.toml'), '--outdir', dir], {
      cwd: REPO,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_WRITE_LOGS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
