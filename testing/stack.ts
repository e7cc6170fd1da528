// The edge stack for tests: the real libSQL server on a loopback port with a fresh migrated file, and the
// real Worker in workerd (wrangler's test harness) pointed at it. Everything stops with close().
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client/web';
import { createTestHarness, type WorkerHandle } from 'wrangler';
import { startLibsqlServer } from '../libsql-server/server.ts';
import { migrateDatabase } from '../scripts/migrate-database.ts';
import { WORKER_BUNDLE_ENV } from './worker-bundle.ts';

export interface Stack {
  /** Base URL of the Worker, e.g. http://127.0.0.1:43121 */
  url: string;
  /** ws:// base for the hub (connectors dial `${hubUrl}/hub/connect`). */
  hubUrl: string;
  adminToken: string;
  connectorSecret: string;
  /** A client on the same database, for assertions on what the Worker stored. */
  db: Client;
  databaseUrl: string;
  /** Evicts a connector's hub Durable Object and closes its sockets, as a deploy or a crash of the edge would. */
  restartHub(connectorId: string): Promise<void>;
  /** What the Worker and its Durable Objects logged, for diagnosing a failure. */
  logs(): string[];
  /** The Worker itself: its bindings (`getEnv()`, e.g. the webhook queue) and its scheduled handler. */
  worker: WorkerHandle;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Overrides the webhook queue's max_retries, so dead-lettering is reached in a test's time. */
  webhookMaxRetries?: number;
  /** More Worker configs to run in the same workerd (the benchmarks' bare reference handler). */
  extraWorkerConfigs?: string[];
  /** Tail Workers (by name, among extraWorkerConfigs) that get a trace of every invocation, Durable Objects' too. */
  tailConsumers?: string[];
}

/** The repository's wrangler.toml, with the test's overrides, written beside the test's other files. */
export async function wranglerConfig(dir: string, options: StackOptions = {}): Promise<string> {
  const repo = join(import.meta.dirname, '..');
  let toml = await readFile(join(repo, 'wrangler.toml'), 'utf8');
  toml = toml.replace(/^main = "(.+)"$/m, (_, main: string) => `main = ${JSON.stringify(join(repo, main))}`);
  if (options.tailConsumers?.length) {
    const consumers = options.tailConsumers.map((service) => `{ service = ${JSON.stringify(service)} }`).join(', ');
    toml = toml.replace(/^(main = .+)$/m, (line) => `${line}\ntail_consumers = [${consumers}]`);
  }
  if (options.webhookMaxRetries !== undefined) toml = toml.replace(/^max_retries = \d+$/m, `max_retries = ${options.webhookMaxRetries}`);
  const path = join(dir, 'wrangler.toml');
  await writeFile(path, toml);
  return path;
}

/**
 * The harness sends the Worker's outbound requests through this process's fetch, which would follow a
 * redirect itself (or fail on a streamed body). On Cloudflare the network hands the 3xx back to workerd,
 * whose fetch follows it or not as the Worker asked; outbound requests are passed on unfollowed so that
 * holds here too. Only calls made with a Request as the options (the harness's) are changed.
 */
function passRedirectsToWorkerd(): void {
  const nodeFetch = globalThis.fetch as typeof fetch & { passesRedirects?: true };
  if (nodeFetch.passesRedirects) return;
  const wrapped = (input: string | URL | Request, init?: RequestInit | Request) => {
    if (!(init && typeof (init as Request).clone === 'function')) return nodeFetch(input, init);
    const request = init as Request;
    return nodeFetch(input, { method: request.method, headers: request.headers, body: request.body, signal: request.signal, redirect: 'manual', duplex: 'half' } as RequestInit);
  };
  globalThis.fetch = Object.assign(wrapped, { passesRedirects: true as const });
}

export async function startStack(vars: Record<string, string> = {}, options: StackOptions = {}): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'kabar-stack-'));
  // The database wants a token, as Turso does, so the Worker's TURSO_AUTH_TOKEN path is the one tested.
  const databaseToken = randomBytes(24).toString('hex');
  const database = await startLibsqlServer({ file: join(dir, 'kabar.db'), authToken: databaseToken });
  await migrateDatabase(database.url, databaseToken);
  const adminToken = randomBytes(24).toString('hex');
  const connectorSecret = randomBytes(24).toString('hex');
  // Outside vitest (benchmarks) Miniflare would fetch a sample `request.cf` from workers.cloudflare.com;
  // nothing here may leave loopback.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
  // wrangler's local dev attaches a trace collector to every Worker and Durable Object by default, which
  // stores a span of every invocation in SQLite inside workerd: no deployment runs it, nothing here reads
  // it, and in a synchronous send it cost workerd about as much CPU as the Worker itself (bench/README).
  process.env.X_LOCAL_OBSERVABILITY ??= 'false';
  // Test output shows tests, not wrangler's progress lines; what the Worker logged stays in logs() for a failure.
  process.env.WRANGLER_LOG ??= 'error';
  passRedirectsToWorkerd();
  const harness = createTestHarness({
    workers: [
      {
        configPath: await wranglerConfig(dir, options),
        // Under vitest the run's one bundle (testing/global-setup.ts); elsewhere wrangler bundles the sources.
        prebuiltWorkerDir: process.env[WORKER_BUNDLE_ENV],
        vars: { ...vars },
        secrets: {
          ADMIN_TOKEN: adminToken,
          CONNECTOR_SECRET: connectorSecret,
          TURSO_DATABASE_URL: database.url,
          TURSO_AUTH_TOKEN: databaseToken,
        },
      },
      ...(options.extraWorkerConfigs ?? []).map((configPath) => ({ configPath })),
    ],
  });
  const { url } = await harness.listen();
  const db = createClient({ url: database.url, authToken: databaseToken });
  return {
    url: url.origin,
    hubUrl: url.origin.replace(/^http/, 'ws'),
    adminToken,
    connectorSecret,
    db,
    databaseUrl: database.url,
    restartHub: (connectorId) => harness.getWorker().evictDurableObject('Hub', { name: `connector:${connectorId}`, webSockets: 'close' }),
    logs: () => harness.getLogs().map((log) => JSON.stringify(log)),
    worker: harness.getWorker(),
    async close() {
      db.close();
      await harness.close();
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
