// Diagnostic, not part of the suite: the connector's share of a send, with the edge taken out. A loopback
// stand-in hub (connector/test-hub.ts) sends send.text commands straight to a real connector process with
// one linked session, which is what a connector on a VPS does while the Worker and hub run on Cloudflare.
// It prints one-at-a-time latency and the throughput with 64 commands in flight, against the same with
// Baileys' sendMessage called directly in one process, all on the same simulator, and the CPU milliseconds
// each process spent per message during the burst (which moves less than a rate when the machine is shared).
//   node bench/diagnose-send.ts            (BENCH_DIAG_COUNT=300 sends per measurement)
//   BENCH_DIAG_SESSIONS=100                the burst spread over this many linked sessions (1 by default)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub } from '../connector/test-hub.ts';
import type { ConnectorFrame } from '../shared/protocol.ts';
import { startConnectorProcess } from './connector-process.ts';
import { RAW_PHONES, RECIPIENT } from './lab.ts';
import { runPool } from './pool.ts';
import { measureCpu, perMessage } from './process-cpu.ts';
import { startRawBaileys } from './raw-baileys.ts';
import { startSimulatorProcess } from './simulator-process.ts';
import { percentile } from './stats.ts';

const SECRET = 'bench-diagnose-secret-0123456789';
const COUNT = Number(process.env.BENCH_DIAG_COUNT ?? 300);
const IN_FLIGHT = 64;
const SESSIONS = Number(process.env.BENCH_DIAG_SESSIONS ?? 1);
const sessionIds = Array.from({ length: SESSIONS }, (_, i) => `diag-${i}`);

type EventFrame = Extract<ConnectorFrame, { type: 'event' }>;
type ResultFrame = Extract<ConnectorFrame, { type: 'result' }>;

const simulator = await startSimulatorProcess();
const raw = await startRawBaileys(simulator);
const dir = await mkdtemp(join(tmpdir(), 'kabar-bench-diag-'));
const rows: string[] = [];
const latencyRow = (name: string, values: number[]) =>
  rows.push(`${name.padEnd(44)} p50 ${percentile(values, 50).toFixed(2).padStart(7)} ms   p99 ${percentile(values, 99).toFixed(2).padStart(7)} ms`);
const rateRow = (name: string, count: number, ms: number) => rows.push(`${name.padEnd(44)} ${(count / (ms / 1_000)).toFixed(0).padStart(7)} msg/s (${IN_FLIGHT} in flight, ${SESSIONS} session(s))`);
const cpuRow = (name: string, cpu: Record<string, number>) =>
  rows.push(`${name.padEnd(44)} CPU ms per message: ${Object.entries(cpu).map(([process, ms]) => `${process} ${ms.toFixed(2)}`).join(', ')}`);
/** Runs a burst, returning its wall time and the CPU per message of `processes` meanwhile. */
const burst = async (processes: { name: string; pid: number }[], run: () => Promise<unknown>) => {
  const start = performance.now();
  const { cpuMs } = await measureCpu(processes, run);
  return { ms: performance.now() - start, cpu: perMessage(cpuMs, COUNT) };
};

const hub = await startTestHub({ secret: SECRET, autoAck: true, sessions: sessionIds.map((sessionId) => ({ sessionId, state: 'running' as const, authEpoch: 0 })) });
const connector = startConnectorProcess({ hubUrl: hub.url, secret: SECRET, waWsUrl: simulator.wsUrl, dbFile: join(dir, 'connector.db'), id: 'diag' });
const event = (test: (e: EventFrame) => boolean) =>
  new Promise<EventFrame>((resolve) => {
    const seen = hub.received.find(test);
    if (seen) return resolve(seen);
    const listener = (frame: EventFrame) => {
      if (!test(frame)) return;
      hub.events.off('event', listener);
      resolve(frame);
    };
    hub.events.on('event', listener);
  });
await runPool(sessionIds, 10, async (sessionId, i) => {
  const qr = await event((f) => f.sessionId === sessionId && f.event.name === 'qr');
  if (qr.event.name !== 'qr') throw new Error('unreachable');
  await simulator.scan(qr.event.qr, `62813${String(i + 1).padStart(8, '0')}`);
  await event((f) => f.sessionId === sessionId && f.event.name === 'connection.update' && f.event.status === 'WORKING');
});

let next = 0;
const send = () =>
  new Promise<void>((resolve, reject) => {
    const n = next++;
    const id = `diag-${n}`;
    const listener = (frame: ResultFrame) => {
      if (frame.id !== id) return;
      hub.events.off('result', listener);
      if (frame.ok) resolve();
      else reject(new Error(frame.error.message));
    };
    hub.events.on('result', listener);
    hub.send({ type: 'command', id, deadline: Date.now() + 30_000, command: { name: 'send.text', sessionId: sessionIds[n % SESSIONS]!, to: RECIPIENT, text: `diag ${id}` } });
  });
const timed = async (call: () => Promise<unknown>) => {
  const start = performance.now();
  await call();
  return performance.now() - start;
};
// Warm-up: every session opens its Signal session with the recipient.
for (let i = 0; i < Math.max(20, SESSIONS * 2); i++) await send();
const latencies: number[] = [];
for (let i = 0; i < COUNT; i++) latencies.push(await timed(send));
latencyRow('connector send.text (stand-in hub)', latencies);
const ours = await burst([{ name: 'connector', pid: connector.pid }, { name: 'simulator', pid: simulator.pid }], () => runPool(Array.from({ length: COUNT }, (_, i) => i), IN_FLIGHT, send));
rateRow('connector send.text (stand-in hub)', COUNT, ours.ms);
cpuRow('connector send.text (stand-in hub)', ours.cpu);
await connector.stop();
await hub.close();

await raw.linkUpTo(SESSIONS, RAW_PHONES);
await raw.sendLatencies(20, RECIPIENT);
await raw.sendBurst(SESSIONS, SESSIONS * 2, IN_FLIGHT, RECIPIENT);
latencyRow('Baileys sendMessage, in process (reference)', await raw.sendLatencies(COUNT, RECIPIENT));
const reference = await burst([{ name: 'baileys', pid: raw.pid }, { name: 'simulator', pid: simulator.pid }], () => raw.sendBurst(SESSIONS, COUNT, IN_FLIGHT, RECIPIENT));
rateRow('Baileys sendMessage, in process (reference)', COUNT, reference.ms);
cpuRow('Baileys sendMessage, in process (reference)', reference.cpu);
console.log(rows.join('\n'));
await raw.close();
await simulator.close();
await rm(dir, { recursive: true, force: true });
