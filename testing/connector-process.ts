// The real connector as a child process (`node connector/main.ts`) for end-to-end tests: its own temporary
// local store, which survives kill and restart, and its JSON log lines to wait on instead of sleeping.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../connector/main.ts', import.meta.url));

export interface ConnectorProcessOptions {
  /** ws:// base of the hub (Stack.hubUrl). */
  hubUrl: string;
  connectorSecret: string;
  /** The simulator's wsUrl; the connector trusts the simulator's test root for it. */
  waWsUrl: string;
  connectorId?: string;
  /** pino level; 'info' (the default) is needed to wait on the hub link's log lines. */
  logLevel?: string;
  /** More connector variables, e.g. WA_KEEPALIVE_INTERVAL_MS. */
  env?: Record<string, string>;
}

/** One pino line of the connector's output (non-JSON output is kept as `{msg: line}`). */
export interface LogLine {
  level?: number;
  msg?: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ConnectorProcess {
  readonly connectorId: string;
  /** The connector's local store (auth state, outbox), e.g. to inspect the outbox while it is down. */
  readonly dbUrl: string;
  /** Starts the process (again) with the same configuration and local store. */
  start(): void;
  /** Sends the signal and resolves when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<Exit>;
  /** Resolves when the current process exits. */
  readonly exited: Promise<Exit>;
  readonly running: boolean;
  /** The running process's id (to read its memory in /proc), undefined when it does not run. */
  readonly pid: number | undefined;
  /** Every log line of every run, oldest first. */
  logs(): LogLine[];
  /**
   * Resolves with the first line from index `from` on that matches; rejects after `timeoutMs` naming
   * `what`. Pass `logs().length` as `from` before an action to wait only for what it causes.
   */
  waitForLog(match: (line: LogLine) => boolean, options?: { from?: number; timeoutMs?: number; what?: string }): Promise<LogLine>;
  /** Kills the process if it runs and removes its local store. */
  close(): Promise<void>;
}

export function connectorProcess(options: ConnectorProcessOptions): ConnectorProcess {
  const dir = mkdtempSync(join(tmpdir(), 'kabar-connector-'));
  const connectorId = options.connectorId ?? `e2e-${randomBytes(4).toString('hex')}`;
  const dbUrl = `file:${join(dir, 'connector.db')}`;
  const env = {
    PATH: process.env.PATH ?? '',
    HUB_URL: options.hubUrl,
    CONNECTOR_ID: connectorId,
    CONNECTOR_SECRET: options.connectorSecret,
    AUTH_STATE_KEY: randomBytes(32).toString('hex'),
    CONNECTOR_DB_URL: dbUrl,
    WA_SIMULATOR: '1',
    WA_WS_URL: options.waWsUrl,
    LOG_LEVEL: options.logLevel ?? 'info',
    // Unpaced unless a test asks: the suites send messages in a row on purpose.
    PACING_DEFAULT: 'off',
    ...options.env,
  };
  const lines: LogLine[] = [];
  const listeners = new Set<() => void>();
  let child: ChildProcess | null = null;
  let exited: Promise<Exit> = Promise.resolve({ code: null, signal: null });

  const collect = (stream: NodeJS.ReadableStream) => {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) {
        if (!part.trim()) continue;
        try {
          lines.push(JSON.parse(part) as LogLine);
        } catch {
          lines.push({ msg: part });
        }
      }
      for (const listener of listeners) listener();
    });
  };

  const handle: ConnectorProcess = {
    connectorId,
    dbUrl,
    start() {
      if (handle.running) throw new Error(`connector ${connectorId} is already running`);
      // process.execPath: the Node 24 that runs the tests (the connector needs type stripping).
      const started = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      collect(started.stdout!);
      collect(started.stderr!);
      exited = once(started, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    },
    async kill(signal = 'SIGTERM') {
      if (child && handle.running) child.kill(signal);
      return exited;
    },
    get exited() {
      return exited;
    },
    get running() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },
    get pid() {
      return handle.running ? child?.pid : undefined;
    },
    logs: () => lines,
    waitForLog(match, { from = 0, timeoutMs = 15_000, what = 'the expected log line' } = {}) {
      return new Promise((resolve, reject) => {
        let checked = from;
        const check = () => {
          for (; checked < lines.length; checked++) {
            if (!match(lines[checked]!)) continue;
            done();
            resolve(lines[checked]!);
            return;
          }
        };
        const timer = setTimeout(() => {
          done();
          const tail = lines.slice(-15).map((l) => JSON.stringify(l)).join('\n');
          reject(new Error(`connector ${connectorId}: no ${what} within ${timeoutMs} ms; last lines:\n${tail}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async close() {
      await handle.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
