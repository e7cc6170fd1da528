// The Worker for a long-running service on one machine: wrangler's programmatic API runs it in workerd
// with its Durable Objects, queues and R2 kept under a data folder, and none of the dev tooling (no file
// watching, live reload, inspector, dev registry or calls to Cloudflare).
import type { unstable_startWorker as StartWorker } from 'wrangler';

const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

export interface WorkerLog {
  level: string;
  message: string;
  timestamp: number;
}

export interface PersistentWorkerOptions {
  /** The wrangler.toml to run. */
  configPath: string;
  /** Where Durable Object storage and R2 objects are kept between runs. */
  persistTo: string;
  hostname: string;
  port: number;
  /** The Worker's variables and secrets (secrets are never printed). */
  secrets: Record<string, string>;
  /** Every line the Worker and its Durable Objects log. */
  onLog: (log: WorkerLog) => void;
  /** workerd or the bundler failed after start-up: the Worker no longer answers as it should. */
  onError: (error: unknown) => void;
}

export interface PersistentWorker {
  url: URL;
  /** The cron triggers of the config, which nothing else runs outside Cloudflare. */
  crons: string[];
  /** Runs the scheduled handler as Cloudflare's cron trigger would. */
  scheduled(cron: string, scheduledTime: Date): Promise<void>;
  dispose(): Promise<void>;
}

export async function startPersistentWorker(options: PersistentWorkerOptions): Promise<PersistentWorker> {
  // Miniflare would fetch a sample `request.cf` from workers.cloudflare.com, and wrangler would send usage
  // metrics: a self-hosted gateway calls neither. Wrangler's own lines (one per queue batch) and its debug
  // log files are dev tooling; the Worker's logs come through onLog. Read when wrangler loads, so set first.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
  process.env.WRANGLER_SEND_METRICS ??= 'false';
  process.env.WRANGLER_LOG ??= 'error';
  process.env.WRANGLER_WRITE_LOGS ??= 'false';
  const { unstable_startWorker } = await import('wrangler');
  const before = new Map(STOP_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const worker = await unstable_startWorker({
    config: options.configPath,
    bindings: Object.fromEntries(Object.entries(options.secrets).map(([name, value]) => [name, { type: 'secret_text', value }])),
    dev: {
      server: { hostname: options.hostname, port: options.port },
      persist: options.persistTo,
      watch: false,
      liveReload: false,
      inspector: false,
      remote: false,
      registry: undefined,
      enableContainers: false,
      logLevel: 'none',
      structuredLogsHandler: (log: WorkerLog) => options.onLog(log),
    },
  } as Parameters<typeof StartWorker>[0]);
  worker.raw.on('error', (error: unknown) => options.onError(error));
  // Miniflare's exit hook answers SIGTERM with an immediate exit (143), which would cut the connector's
  // drain short: the supervisor that started this Worker stops it, in its own order. Its exit listener,
  // which kills workerd when this process ends anyway, stays.
  for (const signal of STOP_SIGNALS) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.off(signal, listener);
  }
  await worker.ready;
  const url = await worker.url;
  return {
    url,
    crons: (worker.config.triggers ?? []).flatMap((trigger: { type: string; cron?: string }) => (trigger.type === 'cron' && trigger.cron ? [trigger.cron] : [])),
    async scheduled(cron, scheduledTime) {
      await worker.scheduled({ cron, scheduledTime });
    },
    dispose: () => worker.dispose(),
  };
}

