// `npm start`: the whole stack on this machine. The libSQL server (unless TURSO_DATABASE_URL names a
// database), migrations, the Worker under `wrangler dev` on PORT, the connector, and with WA_SIMULATOR=1
// the WhatsApp simulator in place of WhatsApp. Ctrl-C stops everything, the connector first so it can
// drain to a hub that is still there.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listensOn } from './port-owner.ts';
import { PortConfigError, type PortNeed, portsNeeded, portTakenMessage, takenPorts } from './ports.ts';
import { signalGroup, spawnGroup, stopGroup } from './process-group.ts';

const root = resolve(import.meta.dirname, '..');
const env = process.env;
// KABAR_DATA_DIR lets two stacks run from one checkout (each needs its own data and ports).
const dataDir = resolve(env.KABAR_DATA_DIR || join(root, 'data'));
const simulatorMode = env.WA_SIMULATOR === '1' || env.WA_SIMULATOR === 'true';

// Declared before anything can call shutdown(): a child may exit while start-up is still awaiting.
let shuttingDown = false;
const children: { name: string; child: ChildProcess }[] = [];
const stops: (() => Promise<void> | void)[] = [];

let needs: PortNeed[];
try {
  needs = portsNeeded(env, simulatorMode);
} catch (error) {
  if (!(error instanceof PortConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const taken = await takenPorts(needs);
if (taken.length > 0) {
  console.error(portTakenMessage(taken));
  process.exit(1);
}
const port = needs[0]!.port;

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
// Children run in their own process groups (see run()); if this process dies on an error they must not stay.
process.on('exit', () => {
  for (const { child } of children) signalGroup(child, 'SIGKILL');
});

try {
  await startStack();
} catch (error) {
  console.error(startFailure(error));
  await shutdown(1);
}

async function startStack(): Promise<void> {
  // Loaded only once the ports are known to be free, so a refusal is immediate.
  const [{ startSimulator }, { CONFIG_VARIABLES }, { loadLocalSecrets }, { openStackDatabase }, { adminTokenOf, connectorEnv, workerVars }] = await Promise.all([
    import('../simulator/server.ts'),
    import('../worker/config.ts'),
    import('./local-secrets.ts'),
    import('./stack-database.ts'),
    import('./stack-env.ts'),
  ]);
  mkdirSync(dataDir, { recursive: true });
  const secrets = loadLocalSecrets(dataDir);
  const libsqlPort = needs.find((need) => need.variable === 'LIBSQL_PORT')?.port ?? 0;
  const database = await openStackDatabase(env, { dataDir, localAuthToken: secrets.libsqlAuthToken, libsqlPort });
  stops.push(() => database.close());
  const wiring = { env, secrets, dataDir, port, databaseUrl: database.url, databaseToken: database.authToken };
  const adminToken = adminTokenOf(wiring);

  let waWsUrl = env.WA_WS_URL;
  let simulatorUrl: string | undefined;
  if (simulatorMode) {
    const simulatorPort = needs.find((need) => need.variable === 'SIMULATOR_PORT')!.port;
    // The simulated WhatsApp outlives a restart, so devices linked before log in again without a scan.
    const simulator = await startSimulator({ port: simulatorPort, autoReceipts: 'delivered', statePath: join(dataDir, 'simulator.json'), historyAfterPairing: true });
    stops.push(() => simulator.close());
    waWsUrl = simulator.wsUrl;
    simulatorUrl = simulator.url;
  }
  if (shuttingDown) return;

  // Worker configuration goes through an env file in data/, so secrets stay out of the process list.
  const workerEnvFile = join(dataDir, 'worker.env');
  // A local backend is on loopback, which only WEBHOOK_ALLOW_PRIVATE_TARGETS lets webhooks reach.
  const vars = workerVars(wiring, CONFIG_VARIABLES, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
  writeFileSync(
    workerEnvFile,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n'),
    { mode: 0o600 },
  );

  const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  // Miniflare would fetch a sample `request.cf` from workers.cloudflare.com; a local gateway has no use for
  // it and should not call out (set CLOUDFLARE_CF_FETCH_ENABLED=true to allow it).
  const workerEnv = { CLOUDFLARE_CF_FETCH_ENABLED: 'false', ...env };
  // The devtools inspector would take 9229 when free: two stacks starting together would both pick it.
  // Port 0 lets each take its own; INSPECTOR_PORT fixes it for a debugger.
  const worker = run('worker', [
    wrangler, 'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', env.INSPECTOR_PORT || '0',
    '--env-file', workerEnvFile, '--persist-to', join(dataDir, 'wrangler'), '--show-interactive-dev-session=false',
    '--log-level', env.WRANGLER_LOG_LEVEL ?? 'error',
  ], workerEnv);

  const baseUrl = `http://127.0.0.1:${port}`;
  if (!(await waitForOwnHealth(`${baseUrl}/health`, worker, port)) || shuttingDown) return;

  run('connector', [join(root, 'connector', 'main.ts')], connectorEnv(wiring, {
    ...(waWsUrl ? { WA_WS_URL: waWsUrl } : {}),
    WA_SIMULATOR: simulatorMode ? '1' : '0',
    LOG_FORMAT: env.LOG_FORMAT || 'pretty',
  }));

  console.log(`
kabar is running
  API          ${baseUrl}   (docs: ${baseUrl}/docs)
  admin token  ${adminToken}${env.ADMIN_TOKEN ? '' : `   (generated; kept in ${join(dataDir, 'local-secrets.json')})`}
  database     ${database.describe}${simulatorUrl ? `\n  simulator    ${simulatorUrl}   (WhatsApp simulator: POST /control/scan …)` : ''}
`);
}

// Each child leads its own process group (process-group.ts); any exit not asked for stops the stack.
function run(name: string, args: string[], childEnv: NodeJS.ProcessEnv): ChildProcess {
  const child = spawnGroup(args, {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'inherit', 'inherit'],
    onExit: (code, signal) => {
      if (shuttingDown) return;
      console.error(`${name} exited (${signal ?? code}); stopping the stack`);
      void shutdown(1);
    },
  });
  children.push({ name, child });
  return child;
}

async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  // The connector first: its drain acks events through the hub, so the Worker must outlive it.
  for (const { child } of [...children].reverse()) await stopGroup(child, 15_000);
  for (const stop of stops.reverse()) await stop();
  process.exit(code);
}

/** Healthy only when the answer comes from this start's Worker: it is alive and (where /proc tells) owns the port. */
async function waitForOwnHealth(url: string, worker: ChildProcess, workerPort: number): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !shuttingDown) {
    const healthy = await fetch(url).then((response) => response.ok, () => false);
    if (worker.exitCode !== null || worker.signalCode !== null) return false;
    if (healthy) {
      if (listensOn(worker.pid!, workerPort) !== false) return true;
      console.error(`cannot start: something other than this stack's Worker answers on PORT=${workerPort}`);
      await shutdown(1);
      return false;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  if (!shuttingDown) {
    console.error(`the Worker did not answer ${url} within 60 s`);
    await shutdown(1);
  }
  return false;
}

function startFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    const port = (error as { port?: number }).port;
    return `cannot start: port ${port ?? ''} was taken while starting; is another kabar stack running?`;
  }
  return `cannot start: ${error instanceof Error ? error.message : String(error)}`;
}
