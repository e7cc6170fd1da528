// `npm run bench`: the benchmark suite on the local stack and the WhatsApp simulator, all on loopback.
// Prints the table and writes bench/results/latest.json (BENCH_SAVE_BASELINE=1 also writes baseline.json).
//   BENCH_ONLY=relay,edge,send,queue,memory,restore,drill,history,group,media,incoming,failover,do   a subset (default: all)
//   BENCH_QUICK=1                               smaller N and shorter runs (about a minute)
//   BENCH_RUNS=5                                repetitions whose median is reported (default 3, quick 2)
//   BENCH_CPU_PROF=/tmp/prof                    CPU-profile the connector process (node --cpu-prof)
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { quietSignalLogs } from '../simulator/signal-logs.ts';
import { edgeThroughput } from './edge-throughput.ts';
import { failoverTime } from './failover.ts';
import { doInvocations } from './do-count.ts';
import type { BenchSettings, Figure } from './figure.ts';
import { fleetBenchmarks, fleetPlan } from './fleet.ts';
import { groupSend } from './group-send.ts';
import { historyMemory } from './history-memory.ts';
import { incomingBurst, INCOMING_STACK_VARS } from './incoming-burst.ts';
import { mediaSend } from './media-send.ts';
import { startLab, type Lab, type LabOptions } from './lab.ts';
import { describeMachine, describeSource } from './machine.ts';
import { queueThroughput } from './queue-throughput.ts';
import { relayLatency } from './relay-latency.ts';
import { restartDrill } from './restart-drill.ts';
import { sendThroughput } from './send-throughput.ts';
import { textTable } from './table.ts';

const NAMES = ['relay', 'edge', 'send', 'queue', 'memory', 'restore', 'drill', 'history', 'group', 'media', 'incoming', 'failover', 'do'] as const;
type Name = (typeof NAMES)[number];

function selected(): Set<Name> {
  const raw = process.env.BENCH_ONLY?.trim();
  if (!raw) return new Set(NAMES);
  const names = raw.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(NAMES as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown ${unknown.join(', ')}; choose from ${NAMES.join(', ')}`);
  return new Set(names as Name[]);
}

const log = (line: string) => console.error(line);

async function withLab(run: (lab: Lab) => Promise<Figure[]>, options: LabOptions = {}): Promise<Figure[]> {
  const lab = await startLab(options);
  try {
    return await run(lab);
  } catch (err) {
    log(`connector output (tail):\n${lab.connector.output()}`);
    throw err;
  } finally {
    await lab.close();
  }
}

quietSignalLogs();
const only = selected();
const quick = process.env.BENCH_QUICK === '1';
const settings: BenchSettings = { quick, runs: Number(process.env.BENCH_RUNS ?? (quick ? 2 : 3)) };
const startedAt = new Date();
// Other work on the machine skews absolute numbers (ratios less so): the load average is kept with the figures.
const loadBefore = loadavg();
const figures: Figure[] = [];
const dir = new URL('./results/', import.meta.url);

function command(): string {
  const env = [
    only.size < NAMES.length ? `BENCH_ONLY=${[...only].join(',')}` : '',
    quick ? 'BENCH_QUICK=1' : '',
    process.env.BENCH_RUNS ? `BENCH_RUNS=${process.env.BENCH_RUNS}` : '',
  ];
  return [...env.filter(Boolean), 'npm run bench'].join(' ');
}

/** Written after each group too, so a run cut short still leaves what it measured. */
async function save(complete: boolean) {
  const result = {
    command: command(),
    complete,
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1_000),
    machine: describeMachine(),
    source: describeSource(),
    loadAverage: { before: loadBefore, after: loadavg() },
    settings,
    figures,
  };
  await mkdir(dir, { recursive: true });
  await writeFile(new URL('latest.json', dir), `${JSON.stringify(result, null, 2)}\n`);
  if (complete && process.env.BENCH_SAVE_BASELINE === '1') await writeFile(new URL('baseline.json', dir), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (only.has('relay') || only.has('edge') || only.has('send')) {
  figures.push(
    ...(await withLab(async (lab) => {
      const found: Figure[] = [];
      if (only.has('relay')) {
        log('relay latency…');
        found.push(...(await relayLatency(lab, settings)));
      }
      if (only.has('edge')) {
        log('edge throughput…');
        found.push(...(await edgeThroughput(lab, settings)));
      }
      if (only.has('send')) {
        log('send throughput…');
        found.push(...(await sendThroughput(lab, settings)));
      }
      return found;
    })),
  );
  await save(false);
}
if (only.has('queue')) {
  log('queued sends: acceptance, and the unpaced drain beside plain Baileys…');
  figures.push(...(await withLab((lab) => queueThroughput(lab, settings))));
  await save(false);
}
if (only.has('memory') || only.has('restore')) {
  log('connector memory and restore…');
  const plan = fleetPlan(settings, { memory: only.has('memory'), restore: only.has('restore') });
  figures.push(...(await withLab((lab) => fleetBenchmarks(lab, plan, log))));
}
if (only.has('history')) {
  log('connector memory with history pushed after pairing…');
  figures.push(...(await historyMemory(settings, log)));
  await save(false);
}
if (only.has('group')) {
  log('group send, 256 members…');
  figures.push(...(await withLab((lab) => groupSend(lab, settings))));
  await save(false);
}
if (only.has('media')) {
  log('media: 1 MiB image sends, connector memory for a 100 MiB document…');
  figures.push(...(await withLab((lab) => mediaSend(lab, settings))));
  await save(false);
}
if (only.has('incoming')) {
  log('incoming bursts to webhooks, 10 sessions…');
  figures.push(...(await withLab((lab) => incomingBurst(lab, settings), { stackVars: INCOMING_STACK_VARS })));
  await save(false);
}
if (only.has('do')) {
  log('Durable Object invocations per send, status read and incoming event, 1-2 connectors, 1-20 sessions…');
  figures.push(...(await withLab((lab) => doInvocations(lab, settings), { stackVars: INCOMING_STACK_VARS, countInvocations: true })));
  await save(false);
}
if (only.has('drill')) {
  log('restart drill…');
  figures.push(...(await restartDrill(settings)));
}
if (only.has('failover')) {
  log('failover: one of three connectors SIGKILLed…');
  figures.push(...(await failoverTime(settings)));
}

const result = await save(true);
const { machine } = result;
console.log(`\n${textTable(figures)}\n\n$ ${result.command}`);
console.log(`${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; ${result.durationS} s; load average ${loadBefore[0]!.toFixed(1)} -> ${result.loadAverage.after[0]!.toFixed(1)}`);
// Helper processes and workerd are closed; anything still holding the loop (an idle keep-alive) must not.
process.exit(0);
