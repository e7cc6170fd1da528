// The whole system for one end-to-end test file: the Worker in workerd with the local libSQL server, the
// WhatsApp simulator, and the real connector as a child process; plus the steps every scenario repeats.
import { createClient } from '@libsql/client';
import { expect } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../simulator/server.ts';
import { quietSignalLogs } from '../simulator/signal-logs.ts';
import { apiOf, type Api } from '../testing/api.ts';
import { connectorProcess, type ConnectorProcess } from '../testing/connector-process.ts';
import { eventually } from '../testing/eventually.ts';
import { startStack, type Stack } from '../testing/stack.ts';

export interface System {
  stack: Stack;
  api: Api;
  simulator: Simulator;
  connector: ConnectorProcess;
  close(): Promise<void>;
}

export interface SystemOptions {
  /** Worker variables, e.g. COMMAND_TIMEOUT_MS. */
  vars?: Record<string, string>;
  simulator?: SimulatorOptions;
  /** The secret the connector proves; the stack's own by default. */
  connectorSecret?: string;
  /** More connector variables, e.g. WA_KEEPALIVE_INTERVAL_MS. */
  connectorEnv?: Record<string, string>;
  /** Start the connector process at once (default true). */
  startConnector?: boolean;
}

export async function startSystem(options: SystemOptions = {}): Promise<System> {
  // The simulator's contacts run libsignal in this process; its session dumps would bury test output.
  const loud = quietSignalLogs();
  const [stack, simulator] = await Promise.all([startStack(options.vars), startSimulator({ port: 0, ...options.simulator })]);
  const connector = connectorProcess({
    hubUrl: stack.hubUrl,
    connectorSecret: options.connectorSecret ?? stack.connectorSecret,
    waWsUrl: simulator.wsUrl,
    ...(options.connectorEnv ? { env: options.connectorEnv } : {}),
  });
  const close = async () => {
    await connector.close();
    await simulator.close();
    await stack.close();
    loud();
  };
  if (options.startConnector ?? true) {
    connector.start();
    try {
      // Generous: on a machine loaded by other test runs, node alone took 14 s to start the connector.
      await connector.waitForLog((l) => l.msg === 'hub link ready', { timeoutMs: 60_000, what: "'hub link ready' (did the connector attach to the hub?)" });
    } catch (error) {
      await close();
      throw error;
    }
  }
  return { stack, api: apiOf(stack), simulator, connector, close };
}

/** Starts the connector if it is not running and waits until the hub has welcomed it. */
export async function connectorUp(system: System): Promise<void> {
  const { connector } = system;
  if (connector.running) return;
  const mark = connector.logs().length;
  connector.start();
  await connector.waitForLog((l) => l.msg === 'hub link ready', { from: mark, timeoutMs: 60_000, what: "'hub link ready' after a restart" });
}

/** Distinct phone numbers per test, so tests sharing one simulator never see each other's devices. */
let nextPhone = 0;
export function newPhone(): string {
  return `62812${String(process.pid % 1000).padStart(3, '0')}${String(++nextPhone).padStart(4, '0')}`;
}

/** The session's current raw QR as the API serves it (there is no push for a QR; the hub's status is polled). */
export async function rawQr(api: Api, key: string, timeoutMs = 10_000): Promise<string> {
  return eventually(async () => {
    const answer = await api('GET', '/api/session/qr?format=raw', { key });
    expect(answer.status).toBe(200);
    expect(answer.json.qrRaw, `no QR yet: ${JSON.stringify(answer.json)}`).toEqual(expect.any(String));
    return answer.json.qrRaw as string;
  }, { timeoutMs });
}

export async function status(api: Api, key: string): Promise<{ connected: boolean; status: string; user?: { id: string } }> {
  const answer = await api('GET', '/api/session/status', { key });
  expect(answer.status).toBe(200);
  return answer.json;
}

/** Waits until the session-key status endpoint shows `expected` (and `connected` when given). */
export function statusBecomes(api: Api, key: string, expected: string, connected?: boolean, timeoutMs = 15_000) {
  return eventually(
    async () => {
      const now = await status(api, key);
      expect(now.status).toBe(expected);
      if (connected !== undefined) expect(now.connected).toBe(connected);
      return now;
    },
    { timeoutMs },
  );
}

/**
 * The phone scans the QR the API serves for the session and the device logs in to the simulator. Resolves
 * once the simulator saw the login; the hub learns of it through the connector a moment later.
 */
export async function scanApiQr(system: System, qr: () => Promise<string>, phone: string): Promise<void> {
  const connected = system.simulator.events.waitFor('device-connected', (d) => d.phone === phone, 15_000);
  await system.simulator.scan(await qr(), phone);
  await connected;
}

/** Creates a session-key session and pairs it with `phone`; resolves when the API reports it WORKING. */
export async function pairedSession(system: System, phone: string): Promise<{ sessionId: string; apiKey: string }> {
  const created = await system.api('POST', '/api/session/create', { admin: true, body: {} });
  expect(created.status).toBe(201);
  const { sessionId, apiKey } = created.json as { sessionId: string; apiKey: string };
  await scanApiQr(system, () => rawQr(system.api, apiKey), phone);
  await statusBecomes(system.api, apiKey, 'WORKING', true);
  return { sessionId, apiKey };
}

/** Rows of one query as plain objects. */
export async function rows(stack: Stack, sql: string, args: (string | number)[] = []): Promise<Record<string, unknown>[]> {
  const result = await stack.db.execute({ sql, args });
  return result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column, row[i]])));
}

/** Rejects naming `what` if the promise has not settled within `timeoutMs` (for waits that have no timeout). */
export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Event ids still in the connector's outbox (not yet acked by the hub), read from its local store. */
export async function outboxIds(connector: ConnectorProcess): Promise<string[]> {
  const local = createClient({ url: connector.dbUrl });
  try {
    return (await local.execute('SELECT id FROM outbox')).rows.map((row) => String(row.id));
  } finally {
    local.close();
  }
}

/**
 * Waits until the connector has applied a logout or reset (it reports LOGGED_OUT with the new auth epoch as
 * the reason) and the hub has acked everything it reported, so the session's status in the API is final.
 */
export async function loginResetApplied(system: System, sessionId: string, authEpoch: number): Promise<void> {
  await eventually(async () => {
    const applied = await rows(system.stack, "SELECT payload FROM events WHERE session_id = ? AND name = 'connection.update'", [sessionId]);
    expect(applied.map((row) => JSON.parse(String(row.payload)).reason)).toContain(`login reset (auth epoch ${authEpoch})`);
    expect(await outboxIds(system.connector)).toEqual([]);
  });
}
