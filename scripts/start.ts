// `npm start`: the whole stack on this machine. The libSQL server (unless TURSO_DATABASE_URL names a
// database), migrations, the Worker under `wrangler dev` on PORT, the connector, and with WA_SIMULATOR=1
// the WhatsApp simulator in place of WhatsApp. Ctrl-C stops everything.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startLibsqlServer } from '../libsql-server/server.ts';
import { startSimulator } from '../simulator/server.ts';
import { CONFIG_VARIABLES } from '../worker/config.ts';
import { loadLocalSecrets } from './local-secrets.ts';
import { migrateDatabase } from './migrate-database.ts';

const root = resolve(import.meta.dirname, '..');
const dataDir = join(root, 'data');
mkdirSync(dataDir, { recursive: true });
const env = process.env;
const port = Number(env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`PORT must be a port number, got ${env.PORT}`);
  process.exit(1);
}
const simulatorMode = env.WA_SIMULATOR === '1' || env.WA_SIMULATOR === 'true';
const secrets = loadLocalSecrets(dataDir);
const adminToken = env.ADMIN_TOKEN || secrets.adminToken;
const connectorSecret = env.CONNECTOR_SECRET || secrets.connectorSecret;
const stops: (() => Promise<void> | void)[] = [];

let databaseUrl = env.TURSO_DATABASE_URL;
if (!databaseUrl) {
  const database = await startLibsqlServer({ file: join(dataDir, 'kabar.db'), port: Number(env.LIBSQL_PORT ?? 0) });
  stops.push(() => database.close());
  databaseUrl = database.url;
}
await migrateDatabase(databaseUrl, env.TURSO_AUTH_TOKEN || undefined);

let waWsUrl = env.WA_WS_URL;
let simulatorUrl: string | undefined;
if (simulatorMode) {
  // The simulated WhatsApp outlives a restart, so devices linked before log in again without a scan.
  const simulator = await startSimulator({ port: Number(env.SIMULATOR_PORT ?? 8790), autoReceipts: 'delivered', statePath: join(dataDir, 'simulator.json') });
  stops.push(() => simulator.close());
  waWsUrl = simulator.wsUrl;
  simulatorUrl = simulator.url;
}

// Worker configuration goes through an env file in data/, so secrets stay out of the process list.
const workerEnvFile = join(dataDir, 'worker.env');
const workerVars: Record<string, string | undefined> = {
  ...Object.fromEntries(Object.entries(env).filter(([name]) => CONFIG_VARIABLES.includes(name))),
  TURSO_DATABASE_URL: databaseUrl,
  ADMIN_TOKEN: adminToken,
  CONNECTOR_SECRET: connectorSecret,
  WEBHOOK_SECRET: env.WEBHOOK_SECRET || secrets.webhookSecret,
  WEBHOOK_ALLOW_PRIVATE_TARGETS: env.WEBHOOK_ALLOW_PRIVATE_TARGETS || 'true', // a local backend is on loopback
};
writeFileSync(
  workerEnvFile,
  Object.entries(workerVars)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n'),
  { mode: 0o600 },
);

const children: ChildProcess[] = [];
function run(name: string, args: string[], childEnv: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: root, env: childEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (!shuttingDown) {
      console.error(`${name} exited (${signal ?? code}); stopping the stack`);
      void shutdown(1);
    }
  });
  children.push(child);
  return child;
}

const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
// Miniflare would fetch a sample `request.cf` from workers.cloudflare.com; a local gateway has no use for
// it and should not call out (set CLOUDFLARE_CF_FETCH_ENABLED=true to allow it).
const workerEnv = { CLOUDFLARE_CF_FETCH_ENABLED: 'false', ...env };
run('worker', [wrangler, 'dev', '--ip', '127.0.0.1', '--port', String(port), '--env-file', workerEnvFile, '--persist-to', join(dataDir, 'wrangler'), '--show-interactive-dev-session=false', '--log-level', env.WRANGLER_LOG_LEVEL ?? 'error'], workerEnv);

const baseUrl = `http://127.0.0.1:${port}`;
await waitForHealth(`${baseUrl}/health`);

run('connector', [join(root, 'connector', 'main.ts')], {
  ...env,
  HUB_URL: `ws://127.0.0.1:${port}`,
  CONNECTOR_ID: env.CONNECTOR_ID || 'local',
  CONNECTOR_SECRET: connectorSecret,
  AUTH_STATE_KEY: env.AUTH_STATE_KEY || secrets.authStateKey,
  CONNECTOR_DB_URL: env.CONNECTOR_DB_URL || `file:${join(dataDir, 'connector.db')}`,
  ...(waWsUrl ? { WA_WS_URL: waWsUrl } : {}),
  WA_SIMULATOR: simulatorMode ? '1' : '0',
});

console.log(`
kabar is running
  API          ${baseUrl}   (docs: ${baseUrl}/docs)
  admin token  ${adminToken}${env.ADMIN_TOKEN ? '' : '   (generated; kept in data/local-secrets.json)'}
  database     ${env.TURSO_DATABASE_URL ? 'TURSO_DATABASE_URL' : `${databaseUrl} (data/kabar.db)`}${simulatorUrl ? `\n  simulator    ${simulatorUrl}   (WhatsApp simulator: POST /control/scan …)` : ''}
`);

let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  const exits = children.map((child) => new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done()))));
  for (const child of children) child.kill('SIGTERM');
  await Promise.race([Promise.all(exits), new Promise((done) => setTimeout(done, 15_000).unref())]);
  for (const stop of stops.reverse()) await stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  console.error(`the Worker did not answer ${url} within 60 s`);
  await shutdown(1);
}
