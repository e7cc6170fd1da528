// Diagnostic, not part of the suite: the connector's share of a send, with the edge taken out. A loopback
// stand-in hub (connector/test-hub.ts) sends send.text commands straight to a real connector process with
// one linked session, which is what a connector on a VPS does while the Worker and hub run on Cloudflare.
// It prints one-at-a-time latency and the throughput with 64 commands in flight, against the same with
// Baileys' sendMessage called directly in one process, all on the same simulator.
//   node bench/diagnose-send.ts            (BENCH_DIAG_COUNT=300 sends per measurement)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub } from '../connector/test-hub.ts';
import type { ConnectorFrame } from '../shared/protocol.ts';
import { startConnectorProcess } from './connector-process.ts';
import { RAW_PHONES, RECIPIENT } from './lab.ts';
import { runPool } from './pool.ts';
import { startRawBaileys } from './raw-baileys.ts';
import { startSimulatorProcess } from './simulator-process.ts';
import { percentile } from './stats.ts';

const SECRET = 'bench-diagnose-secret-0123456789';
const COUNT = Number(process.env.BENCH_DIAG_COUNT ?? 300);
const IN_FLIGHT = 64;
const SESSION = 'diag';

type EventFrame = Extract<ConnectorFrame, { type: 'event' }>;
type ResultFrame = Extract<ConnectorFrame, { type: 'result' }>;

const simulator = await startSimulatorProcess();
const raw = await startRawBaileys(simulator);
const dir = await mkdtemp(join(tmpdir(), 'kabar-bench-diag-'));
const rows: string[] = [];
const latencyRow = (name: string, values: number[]) =>
  rows.push(`${name.padEnd(44)} p50 ${percentile(values, 50).toFixed(2).padStart(7)} ms   p99 ${percentile(values, 99).toFixed(2).padStart(7)} ms`);
const rateRow = (name: string, count: number, ms: number) => rows.push(`${name.padEnd(44)} ${(count / (ms / 1_000)).toFixed(0).padStart(7)} msg/s (${IN_FLIGHT} in flight)`);

const hub = await startTestHub({ secret: SECRET, autoAck: true, sessions: [{ sessionId: SESSION, state: 'running', authEpoch: 0 }] });
const connector = startConnectorProcess({ hubUrl: hub.url, secret: SECRET, waWsUrl: simulator.wsUrl, dbFile: join(dir, 'connector.db'), id: SESSION });
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
const qr = await event((f) => f.event.name === 'qr');
if (qr.event.name !== 'qr') throw new Error('unreachable');
await simulator.scan(qr.event.qr, '6281300000001');
await event((f) => f.event.name === 'connection.update' && f.event.status === 'WORKING');

let next = 0;
const send = () =>
  new Promise<void>((resolve, reject) => {
    const id = `diag-${next++}`;
    const listener = (frame: ResultFrame) => {
      if (frame.id !== id) return;
      hub.events.off('result', listener);
      if (frame.ok) resolve();
      else reject(new Error(frame.error.message));
    };
    hub.events.on('result', listener);
    hub.send({ type: 'command', id, deadline: Date.now() + 30_000, command: { name: 'send.text', sessionId: SESSION, to: RECIPIENT, text: `diag ${id}` } });
  });
const timed = async (call: () => Promise<unknown>) => {
  const start = performance.now();
  await call();
  return performance.now() - start;
};
for (let i = 0; i < 20; i++) await send();
const latencies: number[] = [];
for (let i = 0; i < COUNT; i++) latencies.push(await timed(send));
latencyRow('connector send.text (stand-in hub)', latencies);
rateRow('connector send.text (stand-in hub)', COUNT, await timed(() => runPool(Array.from({ length: COUNT }, (_, i) => i), IN_FLIGHT, send)));
await connector.stop();
await hub.close();

await raw.linkUpTo(1, RAW_PHONES);
await raw.sendLatencies(20, RECIPIENT);
latencyRow('Baileys sendMessage, in process (reference)', await raw.sendLatencies(COUNT, RECIPIENT));
rateRow('Baileys sendMessage, in process (reference)', COUNT, await raw.sendBurst(1, COUNT, IN_FLIGHT, RECIPIENT));
console.log(rows.join('\n'));
await raw.close();
await simulator.close();
await rm(dir, { recursive: true, force: true });
