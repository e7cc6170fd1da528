// A description of the machine the figures were measured on, stored with every result.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';

export type Machine = { cpuModel: string; cores: number; memoryGiB: number; node: string; kernel: string };

export function describeMachine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  return {
    cpuModel,
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel: release(),
  };
}

/** The commit measured, and the files that differed from it (the tree is what actually ran). */
export function describeSource(): { commit: string; changed: string[] } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), changed: git('status', '--porcelain').split('\n').filter(Boolean) };
  } catch {
    return { commit: 'unknown', changed: [] };
  }
}
