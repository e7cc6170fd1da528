// Once per `vitest run`: the Worker is bundled a single time and every file's stack loads that bundle
// (testing/stack.ts), instead of each of some forty files running the same esbuild build at start-up.
import { bundleWorker, WORKER_BUNDLE_VARIABLE } from './worker-bundle.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const bundle = await bundleWorker();
  process.env[WORKER_BUNDLE_VARIABLE] = bundle.dir;
  return async () => {
    delete process.env[WORKER_BUNDLE_VARIABLE];
    await bundle.remove();
  };
}
