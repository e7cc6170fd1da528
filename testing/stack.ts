// The edge stack for tests: the real libSQL server on a loopback port with a fresh migrated file, and the
// real Worker in one workerd (testing/workerd-runtime.ts) pointed at it. Everything stops with close().
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client/web';
import { startLibsqlServer } from '../libsql-server/server.ts';
import { migrateDatabase } from '../scripts/migrate-database.ts';
import { buildWorkerBundle, WORKER_BUNDLE_ENV } from './worker-bundle.ts';
import { startWorkerRuntime, type WorkerControl } from './workerd-runtime.ts';

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
  /** Requests the libSQL server received so far (the Worker's, and `db`'s), to count a piece of work's reads. */
  databaseRequests(): number;
  /** Evicts a connector's hub Durable Object and closes its sockets, as a deploy or a crash of the edge would. */
  restartHub(connectorId: string): Promise<void>;
  /** What the Worker and its Durable Objects logged, for diagnosing a failure. */
  logs(): string[];
  /** The Worker itself: its bindings (`getEnv()`, e.g. the webhook queue) and its scheduled handler. */
  worker: WorkerControl;
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
  // Wrangler only bundles here (outside vitest); its progress lines are not the test's output.
  process.env.WRANGLER_LOG ??= 'error';
  const configPath = await wranglerConfig(dir, options);
  // Under vitest the run's one bundle (testing/global-setup.ts); elsewhere this stack bundles its own.
  const sharedBundle = process.env[WORKER_BUNDLE_ENV];
  const bundleDir = sharedBundle ?? (await buildWorkerBundle(configPath));
  const runtime = await startWorkerRuntime(
    {
      configPath,
      bundleDir,
      vars,
      secrets: {
        ADMIN_TOKEN: adminToken,
        CONNECTOR_SECRET: connectorSecret,
        TURSO_DATABASE_URL: database.url,
        TURSO_AUTH_TOKEN: databaseToken,
      },
      extraWorkerConfigs: options.extraWorkerConfigs,
    },
    dir,
  );
  const url = runtime.url;
  const db = createClient({ url: database.url, authToken: databaseToken });
  return {
    url: url.origin,
    hubUrl: url.origin.replace(/^http/, 'ws'),
    adminToken,
    connectorSecret,
    db,
    databaseUrl: database.url,
    databaseRequests: () => database.requests(),
    restartHub: (connectorId) => runtime.worker.evictDurableObject('Hub', { name: `connector:${connectorId}`, webSockets: 'close' }),
    logs: () => runtime.logs().map((log) => JSON.stringify(log)),
    worker: runtime.worker,
    async close() {
      db.close();
      await runtime.close();
      await database.close();
      if (!sharedBundle) await rm(bundleDir, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
