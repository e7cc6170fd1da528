// Everything one benchmark group runs on: the simulator (helper process), the edge stack (workerd + libSQL),
// one real connector process, and the raw-Baileys reference process, all on loopback. Sessions are linked
// the way a user would link them: create over the API, read the QR, scan it with the simulator's phone.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startConnectorProcess, type ConnectorProcess } from './connector-process.ts';
import { httpClient, type HttpClient } from './http-client.ts';
import { GATEWAY_PHONES } from './phones.ts';
import { runPool } from './pool.ts';
import { startRawBaileys, type RawBaileys } from './raw-baileys.ts';
import { startSimulatorProcess, type SimulatorProcess } from './simulator-process.ts';
import { startBenchStack, UNLIMITED_VARS, type BenchStack } from './stack.ts';

export type GatewaySession = { sessionId: string; apiKey: string; phone: string };

export { RAW_PHONES } from './phones.ts';
/** The contact every benchmark message goes to. */
export const RECIPIENT = '6289900000001';

const PAIR_TIMEOUT_MS = 60_000;

export type Lab = {
  simulator: SimulatorProcess;
  stack: BenchStack;
  http: HttpClient;
  raw: RawBaileys;
  connector: ConnectorProcess;
  sessions: GatewaySession[];
  /** Links gateway sessions until `total` exist. */
  pairUpTo(total: number, concurrency?: number): Promise<void>;
  /** Stops the connector gracefully (logins kept) and waits until the simulator sees none of its devices. */
  stopConnector(): Promise<void>;
  /** Starts a fresh connector process on the same connector database. */
  startConnector(): ConnectorProcess;
  close(): Promise<void>;
};

async function poll<T>(what: string, probe: () => Promise<T | null>, timeoutMs = PAIR_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export type LabOptions = {
  /** Environment of the simulator helper, e.g. BENCH_HISTORY_CHATS (see simulator-child.ts). */
  simulatorEnv?: Record<string, string>;
  /** Worker variables added to UNLIMITED_VARS, e.g. WEBHOOK_ALLOW_PRIVATE_TARGETS for a loopback receiver. */
  stackVars?: Record<string, string>;
  /** Counts the Worker's and its Durable Objects' invocations (bench/do-tail). */
  countInvocations?: boolean;
};

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const simulator = await startSimulatorProcess(options.simulatorEnv);
  const stack = await startBenchStack({ ...UNLIMITED_VARS, ...options.stackVars }, options.countInvocations);
  const http = httpClient(stack.url);
  const raw = await startRawBaileys(simulator);
  const dir = await mkdtemp(join(tmpdir(), 'kabar-bench-connector-'));
  const dbFile = join(dir, 'connector.db');
  const settings = { hubUrl: stack.hubUrl, secret: stack.connectorSecret, waWsUrl: simulator.wsUrl, dbFile };
  const sessions: GatewaySession[] = [];

  const json = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const reply = await http.call(method, path, { headers, ...(body === undefined ? {} : { body }) });
    if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.body}`);
    return JSON.parse(reply.body);
  };

  const pairOne = async (index: number): Promise<GatewaySession> => {
    const phone = `${GATEWAY_PHONES}${String(index).padStart(5, '0')}`;
    const created = await json('POST', '/api/session/create', { authorization: `Bearer ${stack.adminToken}` }, { sessionId: `bench-${index}` });
    const key = { 'x-api-key': created.apiKey as string };
    const qr = await poll(`QR of ${created.sessionId}`, async () => (await json('GET', '/api/session/qr?format=raw', key)).qrRaw ?? null);
    await simulator.scan(qr, phone);
    await poll(`${created.sessionId} connected`, async () => ((await json('GET', '/api/session/status', key)).connected ? true : null));
    return { sessionId: created.sessionId, apiKey: created.apiKey, phone };
  };

  const lab: Lab = {
    simulator,
    stack,
    http,
    raw,
    connector: startConnectorProcess(settings),
    sessions,
    async pairUpTo(total, concurrency = 10) {
      const indexes = Array.from({ length: Math.max(0, total - sessions.length) }, (_, i) => sessions.length + i);
      sessions.push(...(await runPool(indexes, concurrency, pairOne)));
    },
    async stopConnector() {
      const before = await simulator.online();
      await lab.connector.stop();
      // The connector's devices leave; the raw reference's stay, so wait for the count to drop by ours.
      await poll('gateway devices offline', async () => ((await simulator.online()) <= before - sessions.length ? true : null), 30_000);
    },
    startConnector() {
      lab.connector = startConnectorProcess(settings);
      return lab.connector;
    },
    async close() {
      await lab.connector.stop();
      await raw.close();
      http.close();
      await stack.close();
      await simulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return lab;
}
