// `npm start` as a real process (scripts/start.ts), each in its own data folder (KABAR_DATA_DIR) and on
// free loopback ports. Each run leads its own process group, so a test can press Ctrl-C as a terminal does.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import { freePort } from '../testing/free-port.ts';

const START = fileURLToPath(new URL('./start.ts', import.meta.url));
const runs: Run[] = [];
const cleanups: (() => void)[] = [];

type Run = { child: ChildProcess; exited: Promise<number | null>; output: () => string; dataDir: string };

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kabar-start-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function start(vars: Record<string, string>): Run {
  const dataDir = join(scratch(), 'data');
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|TURSO_|LIBSQL_|PORT$|SIMULATOR_PORT$|KABAR_)/.test(name)));
  const child = spawn(process.execPath, [START], {
    env: { ...env, KABAR_DATA_DIR: dataDir, WA_SIMULATOR: '1', LOG_LEVEL: 'info', ...vars },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const run = { child, exited: once(child, 'exit').then(([code]) => code as number | null), output: () => output, dataDir };
  runs.push(run);
  return run;
}

/** Ctrl-C in a terminal: SIGINT to every process in the foreground group. */
const pressCtrlC = (run: Run) => process.kill(-run.child.pid!, 'SIGINT');

/** Something already on a port, answering /health as a running stack would. */
async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer((_, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  return { port: (server.address() as AddressInfo).port, server };
}

afterEach(async () => {
  for (const run of runs.splice(0)) {
    if (run.child.exitCode !== null || run.child.signalCode !== null) continue;
    process.kill(-run.child.pid!, 'SIGTERM');
    const stopped = await Promise.race([run.exited.then(() => true), new Promise((done) => setTimeout(done, 30_000, false))]);
    if (!stopped) process.kill(-run.child.pid!, 'SIGKILL');
  }
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('npm start', () => {
  it('refuses to start, in one line and before starting anything, when a port it needs is taken', async () => {
    for (const variable of ['PORT', 'SIMULATOR_PORT', 'LIBSQL_PORT']) {
      const { port } = await occupy();
      const ports: Record<string, string> = { PORT: String(await freePort()), SIMULATOR_PORT: String(await freePort()), LIBSQL_PORT: String(await freePort()) };
      const run = start({ ...ports, [variable]: String(port) });
      expect(await run.exited, run.output()).toBe(1);
      expect(run.output().trim().split('\n'), variable).toEqual([
        `cannot start: port already in use (${variable}=${port}); is another kabar stack running? Stop it or choose free ports.`,
      ]);
      expect(existsSync(run.dataDir), variable).toBe(false);
    }
  }, 120_000);

  it('stops the stack with a clear line when the Worker exits during start-up', async () => {
    const run = start({ PORT: String(await freePort()), SIMULATOR_PORT: '0', WRANGLER_LOG_LEVEL: 'not-a-level' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('worker exited (1); stopping the stack');
    expect(run.output()).not.toContain('ReferenceError');
  }, 120_000);

  it('runs two stacks side by side, refuses a third on a taken PORT, and Ctrl-C lets each connector drain', async () => {
    const [first, second] = [
      start({ PORT: String(await freePort()), SIMULATOR_PORT: String(await freePort()) }),
      start({ PORT: String(await freePort()), SIMULATOR_PORT: String(await freePort()) }),
    ];
    const urls = await Promise.all([first, second].map((run) => eventually(() => {
      if (run.child.exitCode !== null) throw new Error(`stopped early: ${run.output()}`);
      const url = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(run.output())?.[1];
      if (!url || !run.output().includes('hub link ready')) throw new Error('not up yet');
      return url;
    }, { timeoutMs: 120_000, intervalMs: 200 })));
    for (const url of urls) expect((await fetch(`${url}/health`)).status).toBe(200);

    const third = start({ PORT: new URL(urls[0]!).port, SIMULATOR_PORT: String(await freePort()) });
    expect(await third.exited).toBe(1);
    expect(third.output()).toMatch(/^cannot start: port already in use \(PORT=\d+\)/);
    // The first stack's connector kept its one hub link throughout.
    expect(first.output().match(/hub link ready/g)).toHaveLength(1);

    for (const run of [first, second]) pressCtrlC(run);
    for (const run of [first, second]) {
      expect(await run.exited, run.output()).toBe(0);
      // npm start's connector logs readable lines, not JSON.
      expect(run.output()).toMatch(/INFO.*connector stopped/);
      expect(run.output()).not.toContain('"msg":"connector stopped"');
    }
  }, 240_000);
});
