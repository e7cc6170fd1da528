// Failover at fleet size: e2e/failover.test.ts (three connector processes on one shared store, one
// SIGKILLed, its sessions WORKING on the other two, what was sent meanwhile delivered once) run with 100
// sessions, or 12 in quick mode. The figure is the test's own measure: from the kill to every moved session
// WORKING again, with a 16 s lease (production default 30 s: add the difference).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure, type BenchSettings, type Figure } from './figure.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const OUTPUT_TAIL = 4_000;

export async function failoverTime(settings: BenchSettings): Promise<Figure[]> {
  const sessions = settings.quick ? 12 : 100;
  const dir = mkdtempSync(join(tmpdir(), 'kabar-bench-failover-'));
  const resultPath = join(dir, 'result.json');
  const child = spawn(process.execPath, [VITEST, 'run', 'e2e/failover.test.ts', '-t', 'SIGKILLed'], {
    cwd: ROOT,
    env: { ...process.env, KABAR_FAILOVER_SESSIONS: String(sessions), KABAR_FAILOVER_RESULT: resultPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const [code] = (await once(child, 'exit')) as [number | null];
  let measured: { tookMs: number; moved: number; leaseSeconds: number } | null = null;
  try {
    measured = JSON.parse(readFileSync(resultPath, 'utf8'));
  } catch {
    // the test failed before it measured
  }
  rmSync(dir, { recursive: true, force: true });
  const passed = code === 0 && measured !== null;
  if (!passed) console.error(`failover bench failed (exit ${code}):\n${output}`);
  return [
    figure({
      name: `failover ${sessions} sessions, one of 3 connectors killed`,
      unit: 'ms',
      ours: measured?.tookMs ?? Number.NaN,
      reference: null,
      referenceName: 'none (the peers leave failover to their users)',
      target: `moved sessions WORKING on the others within lease + 20 s + 0.5 s per session`,
      pass: passed,
      detail: { sessions, moved: measured?.moved ?? null, leaseSeconds: measured?.leaseSeconds ?? null, exitCode: code },
    }),
  ];
}
