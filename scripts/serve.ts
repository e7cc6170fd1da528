// `npm run serve`: the whole stack as a long-running service on one machine, for a supervisor such as
// systemd. The libSQL server (unless TURSO_DATABASE_URL names a database), migrations, the Worker in workerd
// with its state under KABAR_DATA_DIR, and the connector; never a simulator or dev tooling. Logs are JSON
// lines (LOG_FORMAT=pretty for people). SIGTERM stops the connector first, so its drain reaches a Worker
// that is still there. Any part that dies ends the service with exit code 1: the supervisor restarts the
// whole of it, in order, with its own backoff and limits, rather than this process nursing half a stack.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PortConfigError, type PortNeed, portsNeeded, portTakenMessage, takenPorts } from './ports.ts';
import { signalGroup, spawnGroup, stopGroup } from './process-group.ts';
import { formatLine, levelOf, logFormatOf, type Level, type LogFormat } from './service-log.ts';

const root = resolve(import.meta.dirname, '..');
const env = process.env;
const dataDir = resolve(env.KABAR_DATA_DIR || join(root, 'data'));
/** How long the connector has to drain before it is killed; systemd's TimeoutStopSec must be longer. */
const CONNECTOR_STOP_GRACE_MS = 20_000;

let format: LogFormat;
try {
  format = logFormatOf(env.LOG_FORMAT);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const log = (level: Level, msg: string, source = 'serve', time = Date.now()) => {
  const line = formatLine(format, source, level, msg, time);
  if (level === 'error' || level === 'warn') process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
};

let shuttingDown = false;
let connector: ChildProcess | undefined;
const stops: (() => Promise<void> | void)[] = [];

let needs: PortNeed[];
try {
  needs = portsNeeded(env, false);
} catch (error) {
  if (!(error instanceof PortConfigError)) throw error;
  log('error', error.message);
  process.exit(1);
}
const taken = await takenPorts(needs);
if (taken.length > 0) {
  log('error', portTakenMessage(taken));
  process.exit(1);
}
const port = needs[0]!.port;

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
// The connector leads its own process group; if this process dies on an error it must not stay behind.
process.on('exit', () => connector && signalGroup(connector, 'SIGKILL'));

try {
  await serve();
} catch (error) {
  log('error', `cannot start: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}

async function serve(): Promise<void> {
  const [{ CONFIG_VARIABLES }, { loadLocalSecrets }, { openStackDatabase }, { adminTokenOf, connectorEnv, workerVars }, { startPersistentWorker }, { nextDailyRun }] =
    await Promise.all([
      import('../worker/config.ts'),
      import('./local-secrets.ts'),
      import('./stack-database.ts'),
      import('./stack-env.ts'),
      import('./persistent-worker.ts'),
      import('./daily-cron.ts'),
    ]);
  // The folder holds the generated secrets and the logins' store: for the service's user alone.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secrets = loadLocalSecrets(dataDir);
  const libsqlPort = needs.find((need) => need.variable === 'LIBSQL_PORT')?.port ?? 0;
  const database = await openStackDatabase(env, { dataDir, localAuthToken: secrets.libsqlAuthToken, libsqlPort });
  stops.push(() => database.close());
  if (shuttingDown) return;

  const wiring = { env, secrets, dataDir, port, databaseUrl: database.url, databaseToken: database.authToken };
  const worker = await startPersistentWorker({
    configPath: join(root, 'wrangler.toml'),
    persistTo: join(dataDir, 'worker'),
    hostname: '127.0.0.1',
    port,
    secrets: workerVars(wiring, CONFIG_VARIABLES),
    onLog: ({ level, message, timestamp }) => log(levelOf(level), message, 'worker', timestamp),
    onError: (error) => {
      if (shuttingDown) return;
      log('error', `the Worker failed: ${error instanceof Error ? error.message : String(error)}; stopping`);
      void shutdown(1);
    },
  });
  stops.push(() => worker.dispose());
  if (shuttingDown) return;

  // The webhook queue lives in workerd's memory: what it held when the service stopped (retries waiting,
  // jobs not yet tried) is put back from Turso's record before any new event arrives.
  const requeue = await fetch(new URL('/api/webhooks/requeue', worker.url), { method: 'POST', headers: { authorization: `Bearer ${adminTokenOf(wiring)}` } });
  const requeued = (await requeue.json().catch(() => ({}))) as { requeued?: number; message?: string };
  if (requeue.status !== 202) throw new Error(`could not requeue the unfinished webhook deliveries: HTTP ${requeue.status} ${requeued.message ?? ''}`);
  if (requeued.requeued) log('info', `requeued ${requeued.requeued} unfinished webhook deliveries`);

  // Cloudflare runs cron triggers; here this process does, at the same UTC times.
  for (const cron of worker.crons) {
    const schedule = () => {
      const next = nextDailyRun(cron, new Date());
      if (!next) return log('warn', `cron "${cron}" is not a fixed daily time; the one-box service does not run it`);
      const timer = setTimeout(() => {
        worker.scheduled(cron, next).catch((error: unknown) => log('error', `scheduled run "${cron}" failed: ${String(error)}`, 'worker'));
        schedule();
      }, next.getTime() - Date.now());
      stops.unshift(() => clearTimeout(timer));
    };
    schedule();
  }

  connector = spawnGroup([join(root, 'connector', 'main.ts')], {
    cwd: root,
    env: connectorEnv(wiring, { LOG_FORMAT: format }),
    stdio: ['ignore', 'inherit', 'inherit'],
    onExit: (code, signal) => {
      if (shuttingDown) return;
      log('error', `the connector exited (${signal ?? code}); stopping`);
      void shutdown(1);
    },
  });
  log('info', `kabar is serving on ${worker.url.origin} (data in ${dataDir}; database ${database.describe}; admin token ${env.ADMIN_TOKEN ? 'from ADMIN_TOKEN' : `in ${join(dataDir, 'local-secrets.json')}`})`);
}

async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  log('info', 'stopping');
  // The connector first: its drain acks events through the hub, so the Worker must outlive it.
  if (connector) await stopGroup(connector, CONNECTOR_STOP_GRACE_MS);
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch (error) {
      log('warn', `while stopping: ${String(error)}`);
    }
  }
  log('info', 'stopped');
  process.exit(code);
}
