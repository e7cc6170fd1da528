// Diagnostic, not part of the suite: a CPU profile of workerd (the Worker, its Durable Objects and its
// entry) during a burst of synchronous sends, as `BENCH_CPU_PROF` gives one of the connector. wrangler's test
// harness starts workerd without an inspector, so workerd is started through a wrapper that adds
// `--inspector-addr` on a loopback port of its own; every inspector target is profiled over the Chrome
// DevTools protocol (Profiler.start/stop) and written as a .cpuprofile for bench/profile-summary.ts.
//   node bench/profile-workerd.ts [out=/tmp/workerd-prof]   (BENCH_PROF_SESSIONS=10, BENCH_PROF_SENDS=400)
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../testing/free-port.ts';
import { RECIPIENT, startLab } from './lab.ts';
import { runPool } from './pool.ts';
import { measureCpu, perMessage, workerdChildren } from './process-cpu.ts';

const out = process.argv[2] ?? '/tmp/workerd-prof';
const SESSIONS = Number(process.env.BENCH_PROF_SESSIONS ?? 10);
const SENDS = Number(process.env.BENCH_PROF_SENDS ?? 400);
const IN_FLIGHT = Math.min(64, 8 * SESSIONS);

/** The wrapper takes the next of `ports` on each start (bundling starts wrangler's two, then the stack's one). */
async function inspectorWrapper(dir: string, ports: number[]): Promise<string> {
  const real = join(import.meta.dirname, '..', 'node_modules', '@cloudflare', 'workerd-linux-64', 'bin', 'workerd');
  const script = join(dir, 'workerd');
  const cases = ports.map((port, i) => `  ${i}) port=${port} ;;`).join('\n');
  await writeFile(
    script,
    `#!/bin/sh
n=0
while ! mkdir "${dir}/start-$n" 2>/dev/null; do n=$((n + 1)); done
case $n in
${cases}
  *) exec "${real}" "$@" ;;
esac
exec "${real}" "$@" --inspector-addr=127.0.0.1:$port
`,
  );
  await chmod(script, 0o755);
  return script;
}

type Target = { id: string; title?: string; url?: string; webSocketDebuggerUrl: string };

/** One DevTools session: `call` sends a method and waits for its answer. */
async function devtools(url: string) {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`could not open ${url}`)), { once: true });
  });
  let next = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  const scripts: { scriptId: string; url: string }[] = [];
  ws.addEventListener('message', (m) => {
    const reply = JSON.parse(String(m.data)) as { id?: number; result?: unknown; error?: unknown; method?: string; params?: { scriptId: string; url: string } };
    if (reply.id !== undefined) waiting.get(reply.id)?.(reply.error ? { error: reply.error } : reply.result);
    else if (reply.method === 'Debugger.scriptParsed' && reply.params) scripts.push(reply.params);
  });
  return {
    scripts,
    call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
      const id = next++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    close: () => ws.close(),
  };
}

const ports = [await freePort(), await freePort(), await freePort()];
const wrapperDir = await mkdtemp(join(tmpdir(), 'kabar-workerd-inspect-'));
process.env.MINIFLARE_WORKERD_PATH = await inspectorWrapper(wrapperDir, ports);
const lab = await startLab();
try {
  await lab.pairUpTo(SESSIONS, 10);
  let failed = 0;
  const send = async (i: number) => {
    const reply = await lab.http.call('POST', '/api/send', {
      headers: { 'x-api-key': lab.sessions[i % SESSIONS]!.apiKey },
      body: { to: RECIPIENT, message: `profile ${i}` },
    });
    if (reply.status === 200) return;
    if (failed++ === 0) console.warn(`send ${i}: ${reply.status} ${reply.body.slice(0, 200)}`);
  };
  // Warm-up: every session opens its Signal session with the recipient once.
  await runPool(Array.from({ length: SESSIONS * 2 }, (_, i) => i), SESSIONS, send);
  failed = 0;

  const sessions: { name: string; session: Awaited<ReturnType<typeof devtools>> }[] = [];
  for (const port of ports) {
    const targets = (await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json(), () => [])) as Target[];
    // The user Workers' isolates; the harness's own services (core:custom-fetch:…) refuse a debugger.
    for (const target of targets.filter((t) => t.webSocketDebuggerUrl.includes('/core:user:'))) {
      const session = await devtools(target.webSocketDebuggerUrl);
      await session.call('Profiler.enable');
      await session.call('Profiler.setSamplingInterval', { interval: 200 });
      await session.call('Profiler.start');
      sessions.push({ name: `${port}-${(target.title ?? target.id).replace(/[^A-Za-z0-9_-]+/g, '_')}`, session });
    }
  }
  if (sessions.length === 0) throw new Error('no workerd inspector target of a user Worker');
  console.log(`profiling ${sessions.length} inspector targets: ${sessions.map((s) => s.name).join(', ')}`);

  const before = await lab.simulator.stored();
  const processes = [{ name: 'connector', pid: lab.connector.pid }, { name: 'simulator', pid: lab.simulator.pid }, ...(await workerdChildren())];
  const start = performance.now();
  const requestsBefore = lab.stack.databaseRequests();
  const { cpuMs } = await measureCpu(processes, async () => {
    await runPool(Array.from({ length: SENDS }, (_, i) => i), IN_FLIGHT, send);
    await lab.simulator.untilStored(before + SENDS - failed, 120_000);
  });
  const databaseRequests = lab.stack.databaseRequests() - requestsBefore;
  const seconds = (performance.now() - start) / 1_000;
  const sent = SENDS - failed;
  // Counted at the libSQL server: the Worker's requests go there straight from workerd, not through this process.
  console.log(`libSQL per send: ${(databaseRequests / sent).toFixed(2)} requests`);
  if (failed > 0) console.warn(`${failed} sends failed`);
  console.log(`${sent} sends over ${SESSIONS} sessions: ${(sent / seconds).toFixed(1)} msg/s`);
  console.log(`CPU ms per message: ${JSON.stringify(perMessage(cpuMs, sent))}`);

  await mkdir(out, { recursive: true });
  for (const { name, session } of sessions) {
    const stopped = (await session.call('Profiler.stop')) as { profile?: unknown };
    if (!stopped.profile) {
      session.close();
      continue;
    }
    const file = join(out, `${name}.cpuprofile`);
    await writeFile(file, JSON.stringify(stopped.profile));
    console.log(`wrote ${file}`);
    // The bundle the profile's line numbers refer to.
    await session.call('Debugger.enable');
    for (const script of session.scripts.filter((s) => s.url.endsWith('.js'))) {
      const source = (await session.call('Debugger.getScriptSource', { scriptId: script.scriptId })) as { scriptSource?: string };
      if (source.scriptSource) await writeFile(join(out, `${name}.${script.url.replace(/[^A-Za-z0-9_.-]+/g, '_')}`), source.scriptSource);
    }
    await session.call('Debugger.disable');
    session.close();
  }
} finally {
  await lab.close();
  await rm(wrapperDir, { recursive: true, force: true });
}
