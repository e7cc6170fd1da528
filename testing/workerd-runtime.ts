// The Worker in one workerd, started with Miniflare directly: wrangler's bundle of the Worker, the bindings
// its wrangler.toml declares (as wrangler itself reads them), and nothing in front of it. wrangler's test
// harness adds a second workerd running its dev proxy (a Durable Object every request and socket frame passes
// through) and sends the Worker's outbound fetches through Node; neither exists in a deployment.
import { join, parse } from 'node:path';
import { build } from 'esbuild';
import { Miniflare, convertV4MiniflareOptions, type V4WorkerOptions, type WorkerdStructuredLog } from 'miniflare';
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from 'wrangler';

export interface RuntimeOptions {
  /** The Worker's wrangler config (the repository's, with a test's overrides). */
  configPath: string;
  /** A directory holding wrangler's bundle of the Worker (testing/worker-bundle.ts). */
  bundleDir: string;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** More Workers in the same workerd, picked by their config's routes (the benchmarks' reference handler). */
  extraWorkerConfigs?: string[];
}

/** What tests reach of the Worker beside HTTP: its bindings, its cron handler, its Durable Objects. */
export interface WorkerControl {
  getEnv<Env = Record<string, unknown>>(): Promise<Env>;
  scheduled(options: { cron?: string; scheduledTime?: Date }): Promise<unknown>;
  evictDurableObject(className: string, options: { name: string; webSockets?: 'close' | 'hibernate' }): Promise<void>;
}

export interface WorkerRuntime {
  url: URL;
  worker: WorkerControl;
  logs(): WorkerdStructuredLog[];
  close(): Promise<void>;
}

/** A config's Worker as Miniflare options; `main` is the module to load (a bundle, or one esbuild makes). */
function workerFromConfig(configPath: string, main: string, vars: Record<string, string>): V4WorkerOptions {
  const config = unstable_readConfig({ config: configPath });
  const { workerOptions } = unstable_getMiniflareWorkerOptions(config);
  return {
    ...workerOptions,
    name: config.name,
    modulesRoot: parse(main).dir,
    modules: [{ type: 'ESModule', path: main }],
    routes: config.routes?.map((route: string | { pattern: string }) => (typeof route === 'string' ? route : route.pattern)),
    bindings: { ...(workerOptions.bindings as Record<string, unknown> | undefined), ...vars },
  } as V4WorkerOptions;
}

/** The bench's small Workers (TypeScript importing packages) bundled as wrangler would, into `outDir`. */
async function bundleSmallWorker(configPath: string, outDir: string): Promise<string> {
  const config = unstable_readConfig({ config: configPath });
  const out = join(outDir, `${config.name}.js`);
  await build({
    entryPoints: [config.main!],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    outfile: out,
    logLevel: 'error',
  });
  return out;
}

export async function startWorkerRuntime(options: RuntimeOptions, scratchDir: string): Promise<WorkerRuntime> {
  const logs: WorkerdStructuredLog[] = [];
  const main = workerFromConfig(options.configPath, join(options.bundleDir, 'index.js'), { ...options.vars, ...options.secrets });
  const extras = await Promise.all(
    (options.extraWorkerConfigs ?? []).map(async (path) => workerFromConfig(path, await bundleSmallWorker(path, scratchDir), {})),
  );
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      logRequests: false,
      handleStructuredLogs: (log) => void logs.push(log),
      workers: [main, ...extras],
    }),
  );
  const url = await mf.ready.catch(async (error: unknown) => {
    await mf.dispose();
    throw error;
  });
  const name = main.name!;
  return {
    url,
    worker: {
      getEnv: <Env>() => mf.getBindings<Env>(name),
      scheduled: async (event) => (await mf.getWorker(name)).scheduled(event),
      evictDurableObject: (className, evict) => mf.unsafeEvictDurableObject(name, className, evict),
    },
    logs: () => [...logs],
    close: () => mf.dispose(),
  };
}
