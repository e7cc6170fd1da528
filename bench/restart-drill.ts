// The restart drill at fleet size: e2e/restart-drill.test.ts (linked sessions, the connector stopped with
// SIGTERM, messages sent while it is down, started again: all WORKING again, every message delivered
// once) run with 100 sessions, or 10 in quick mode. The suite runs the same test with 10 on its own.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { figure, type BenchSettings, type Figure } from './figure.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const OUTPUT_TAIL = 4_000;

export async function restartDrill(settings: BenchSettings): Promise<Figure[]> {
  const sessions = settings.quick ? 10 : 100;
  const startedAt = Date.now();
  const child = spawn(process.execPath, [VITEST, 'run', 'e2e/restart-drill.test.ts'], {
    cwd: ROOT,
    env: { ...process.env, KABAR_DRILL_SESSIONS: String(sessions) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const [code] = (await once(child, 'exit')) as [number | null];
  const passed = code === 0;
  if (!passed) console.error(`restart drill failed (exit ${code}):\n${output}`);
  return [
    figure({
      name: `restart drill ${sessions} sessions`,
      unit: 'ms',
      ours: Date.now() - startedAt,
      reference: null,
      referenceName: 'none (pairing, SIGTERM, restart and delivery, end to end)',
      target: 'all WORKING again, every message delivered once',
      pass: passed,
      detail: { sessions, exitCode: code },
    }),
  ];
}
