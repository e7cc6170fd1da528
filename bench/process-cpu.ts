// CPU time spent by each process of the lab while something runs, read from /proc/<pid>/stat (user +
// system). Divided by the messages sent it says where a send's CPU goes, per hop; unlike a rate it barely
// moves when other work shares the machine, which is why the send figure reports it beside msg/s.
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export type ProcessRef = { name: string; pid: number };

async function cpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000) / TICKS_PER_SECOND;
  } catch {
    return 0; // gone: it spent nothing more
  }
}

/** The workerd processes this process started: the one running the Worker, its Durable Objects and its entry (testing/workerd-runtime.ts). */
export async function workerdChildren(): Promise<ProcessRef[]> {
  const found: ProcessRef[] = [];
  for (const task of await readdir(`/proc/${process.pid}/task`)) {
    const children = await readFile(`/proc/${process.pid}/task/${task}/children`, 'utf8').catch(() => '');
    for (const pid of children.split(' ').filter(Boolean).map(Number)) {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes('workerd')) found.push({ name: `workerd ${found.length + 1}`, pid });
    }
  }
  return found;
}

/** Runs `work` and returns its result with each process's CPU milliseconds meanwhile (this process as "bench"). */
export async function measureCpu<T>(processes: ProcessRef[], work: () => Promise<T>): Promise<{ result: T; cpuMs: Record<string, number> }> {
  const before = await Promise.all(processes.map((p) => cpuMs(p.pid)));
  const own = process.cpuUsage();
  const result = await work();
  const after = await Promise.all(processes.map((p) => cpuMs(p.pid)));
  const spent = process.cpuUsage(own);
  const cpu: Record<string, number> = { bench: (spent.user + spent.system) / 1_000 };
  processes.forEach((p, i) => (cpu[p.name] = after[i]! - before[i]!));
  return { result, cpuMs: cpu };
}

/** CPU milliseconds per message, rounded for the report. */
export function perMessage(cpu: Record<string, number>, messages: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, Math.round((ms / Math.max(1, messages)) * 100) / 100]));
}
