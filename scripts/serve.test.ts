// `npm run serve` as a real process (scripts/serve.ts) on a loopback port with a temporary data folder. It
// never starts a simulator, so this test starts one and points the connector at it (WA_WS_URL). A restart
// with events and webhook retries in flight must lose nothing and need no new scan.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/server.ts';
import { quietSignalLogs } from '../simulator/signal-logs.ts';
import { apiOf, type Api } from '../testing/api.ts';
import { eventually } from '../testing/eventually.ts';
import { freePort } from '../testing/free-port.ts';
import { startWebhookReceiver, type ReceivedHook } from '../testing/webhook-receiver.ts';

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));

type Line = { level?: number; source?: string; service?: string; msg?: string };
type Run = { child: ChildProcess; exited: Promise<number | null>; lines: Line[]; output: () => string };

let dir: string;
let dataDir: string;
let port: number;
let simulator: Simulator;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let loud: () => void;
/** While true the webhook receiver answers 503: every delivery fails and waits for its retry. */
let backendDown = true;
/** What the receiver accepted (answered 200). */
const accepted: ReceivedHook[] = [];
const runs: Run[] = [];

function serve(): Run {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|TURSO_|LIBSQL_|PORT$|KABAR_|LOG_|WA_|ADMIN_TOKEN$|CONNECTOR_)/.test(name)));
  const child = spawn(process.execPath, [SERVE], {
    env: {
      ...env,
      KABAR_DATA_DIR: dataDir,
      PORT: String(port),
      WA_WS_URL: simulator.wsUrl,
      WA_SIMULATOR: '1',
      // The receiver is on loopback; retries come a second after a failure, doubling.
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_RETRY_BASE_SECONDS: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let text = '';
  const lines: Line[] = [];
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
    const parts = text.split('\n');
    text = parts.pop() ?? '';
    for (const part of parts.filter((p) => p.trim())) {
      try {
        lines.push(JSON.parse(part) as Line);
      } catch {
        lines.push({ msg: part });
      }
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const run: Run = { child, exited: once(child, 'exit').then(([code]) => code as number | null), lines, output: () => lines.map((l) => JSON.stringify(l)).join('\n') };
  runs.push(run);
  return run;
}

async function up(run: Run): Promise<void> {
  await eventually(
    () => {
      if (run.child.exitCode !== null) throw new Error(`serve stopped early:\n${run.output()}`);
      expect(run.lines.some((l) => l.msg === 'hub link ready'), 'the connector attached to the hub').toBe(true);
    },
    { timeoutMs: 120_000, intervalMs: 200 },
  );
}

/** systemd's stop with KillMode=mixed (the README's unit): SIGTERM to the service's main process alone. */
async function stop(run: Run): Promise<number | null> {
  run.child.kill('SIGTERM');
  return run.exited;
}

beforeAll(async () => {
  loud = quietSignalLogs();
  dir = mkdtempSync(join(tmpdir(), 'kabar-serve-'));
  dataDir = join(dir, 'data');
  port = await freePort();
  simulator = await startSimulator({ port: 0 });
  receiver = await startWebhookReceiver((hook) => {
    if (backendDown) return { status: 503 };
    accepted.push(hook);
    return { status: 200 };
  });
});

afterAll(async () => {
  for (const run of runs) {
    if (run.child.exitCode !== null || run.child.signalCode !== null) continue;
    process.kill(-run.child.pid!, 'SIGKILL');
    await run.exited;
  }
  await receiver?.close();
  await simulator?.close();
  loud?.();
  rmSync(dir, { recursive: true, force: true });
});

/** message.received envelopes, as the receiver saw them. */
const messageIds = (hooks: ReceivedHook[]) =>
  hooks.map((hook) => JSON.parse(hook.body)).filter((envelope) => envelope.event === 'message.received').map((envelope) => String(envelope.data.messageId));

describe('npm run serve', () => {
  it('comes back from a restart with events and webhook retries in flight: every event delivered, the session WORKING without a new scan', async () => {
    const first = serve();
    await up(first);
    // The secrets it generated are in the data folder, for the service's user alone.
    expect(statSync(join(dataDir, 'local-secrets.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const { adminToken } = JSON.parse(readFileSync(join(dataDir, 'local-secrets.json'), 'utf8')) as { adminToken: string };
    const api: Api = apiOf({ url: `http://127.0.0.1:${port}`, adminToken });
    // Production log lines are JSON, the Worker's and the connector's alike.
    expect(first.lines.find((l) => l.msg?.startsWith('kabar is serving'))).toMatchObject({ level: 30, source: 'serve' });

    const phone = '6281277700001';
    const created = await api('POST', '/api/session/create', { admin: true, body: { webhookUrl: `${receiver.url}/hook` } });
    expect(created.status).toBe(201);
    const { apiKey } = created.json as { apiKey: string };
    const qr = await eventually(async () => {
      const answer = await api('GET', '/api/session/qr?format=raw', { key: apiKey });
      expect(answer.json.qrRaw).toEqual(expect.any(String));
      return answer.json.qrRaw as string;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    const connected = simulator.events.waitFor('device-connected', (d) => d.phone === phone, 60_000);
    await simulator.scan(qr, phone);
    await connected;
    const working = () =>
      eventually(async () => expect((await api('GET', '/api/session/status', { key: apiKey })).json).toMatchObject({ status: 'WORKING', connected: true }), {
        timeoutMs: 60_000,
        intervalMs: 200,
      });
    await working();

    // Contacts write while the owner's backend is down: each delivery fails and waits for a retry.
    const contact = '6281277709999';
    const sent: string[] = [];
    for (let n = 0; n < 3; n++) sent.push((await simulator.contactSend(contact, phone, `sebelum restart ${n}`)).id);
    await eventually(() => expect(new Set(messageIds(receiver.received))).toEqual(new Set(sent)), { timeoutMs: 60_000, intervalMs: 200 });
    // And more arrive as the service is being stopped.
    for (let n = 0; n < 2; n++) sent.push((await simulator.contactSend(contact, phone, `saat berhenti ${n}`)).id);
    const relinked: string[] = [];
    const stopWatching = simulator.events.on('device-linked', (d) => d.phone === phone && relinked.push(d.phone));

    expect(await stop(first), first.output()).toBe(0);
    expect(accepted).toEqual([]);
    const qrsBefore = receiver.received.filter((hook) => JSON.parse(hook.body).event === 'qr').length;

    const second = serve();
    await up(second);
    backendDown = false;
    await working();
    await eventually(() => expect(new Set(messageIds(accepted))).toEqual(new Set(sent)), { timeoutMs: 90_000, intervalMs: 250 });
    stopWatching();
    // The session came back with the login it had: no new QR, no new scan.
    expect(relinked).toEqual([]);
    expect(receiver.received.filter((hook) => JSON.parse(hook.body).event === 'qr')).toHaveLength(qrsBefore);
    expect(await stop(second), second.output()).toBe(0);
  }, 300_000);
});
