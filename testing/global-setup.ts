// Runs once per vitest run, before any test file: bundles the Worker that every stack then loads. Test files
// run in forked processes, which inherit this environment.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wranglerConfig } from './stack.ts';
import { buildWorkerBundle, WORKER_BUNDLE_ENV } from './worker-bundle.ts';

export default async function setup(): Promise<() => Promise<void>> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
  process.env.WRANGLER_LOG ??= 'error';
  const dir = await mkdtemp(join(tmpdir(), 'kabar-bundle-config-'));
  try {
    process.env[WORKER_BUNDLE_ENV] = await buildWorkerBundle(await wranglerConfig(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return async () => {
    const bundle = process.env[WORKER_BUNDLE_ENV];
    delete process.env[WORKER_BUNDLE_ENV];
    if (bundle) await rm(bundle, { recursive: true, force: true });
  };
}
