// The real connector (connector/main.ts) as a child process attached to the bench stack's hub, started with
// the GC hook so its resident memory can be read, and optionally with a CPU profile (BENCH_CPU_PROF=dir).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { MEASURED_EXEC_ARGV } from './process-memory.ts';

const MAIN = fileURLToPath(new URL('../connector/main.ts', import.meta.url));

export type ConnectorSettings = { hubUrl: string; secret: string; waWsUrl: string; dbFile: string; id?: string };

export type ConnectorProcess = {
  pid: number;
  startedAt: number;
  output(): string;
  /** SIGTERM (graceful: sockets closed, logins kept); SIGKILL after 30 s. */
  stop(): Promise<void>;
};

export function startConnectorProcess(s: ConnectorSettings): ConnectorProcess {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const startedAt = Date.now();
  const child: ChildProcess = spawn(process.execPath, [...MEASURED_EXEC_ARGV, ...profile, MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HUB_URL: s.hubUrl,
      CONNECTOR_ID: s.id ?? 'bench',
      CONNECTOR_SECRET: s.secret,
      AUTH_STATE_KEY: 'be'.repeat(32),
      CONNECTOR_DB_URL: `file:${s.dbFile}`,
      WA_WS_URL: s.waWsUrl,
      WA_SIMULATOR: '1',
      LOG_LEVEL: process.env.BENCH_CONNECTOR_LOG_LEVEL ?? 'error',
      // The benches measure the send path itself, unpaced (the reference Baileys is not paced either).
      PACING_DEFAULT: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Only the tail is kept: it is there to explain a failure, and 1,000 sessions can log a lot.
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return {
    pid: child.pid!,
    startedAt,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
