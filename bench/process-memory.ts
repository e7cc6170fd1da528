// Resident memory of another process, read from /proc after asking it (bench/gc-on-signal.ts) to collect
// garbage; the median of a few samples, because RSS moves a little as timers fire.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from './stats.ts';

export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

/** SIGUSR2 kills a process that has not installed the hook yet, so wait until it catches the signal. */
async function untilHooked(pid: number): Promise<void> {
  const bit = 1n << BigInt(12 - 1); // SIGUSR2 is 12 on Linux
  for (let i = 0; i < 200; i++) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const caught = /^SigCgt:\s+([0-9a-f]+)$/m.exec(status)?.[1];
    if (caught && (BigInt(`0x${caught}`) & bit) !== 0n) return;
    await sleep(50);
  }
  throw new Error(`process ${pid} never installed the GC hook`);
}

export async function settledRss(pid: number, samples = 5): Promise<number> {
  await untilHooked(pid);
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    process.kill(pid, 'SIGUSR2');
    await sleep(400);
    values.push(await rssBytes(pid));
  }
  return median(values);
}

/** Node options for a process whose memory settledRss will read. */
export const MEASURED_EXEC_ARGV = ['--expose-gc', '--import', new URL('./gc-on-signal.ts', import.meta.url).pathname];
