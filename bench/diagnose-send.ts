// Diagnostic, not part of the suite: where POST /api/send's time goes. It takes the edge out: a loopback
// stand-in hub (connector/test-hub.ts) sends send.text commands straight to a real connector process, so
// the connector's share (Baileys with the stored auth state, outbox) is measured apart from Worker and
// hub, against Baileys' own sendMessage, with the connector's store as it is created today and in WAL mode.
//   node bench/diagnose-send.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub } from '../connector/test-hub.ts';
import type { ConnectorFrame } from '../shared/protocol.ts';
import { startConnectorProcess } from './connector-process.ts';
import { RAW_PHONES, RECIPIENT } from './lab.ts';
import { startRawBaileys } from './raw-baileys.ts';
import { startSimulatorProcess } from './simulator-process.ts';
import { percentile } from './stats.ts';

const SECRET = 'bench-diagnose-secret-0123456789';
const COUNT = Number(process.env.BENCH_DIAG_COUNT ?? 300);

type EventFrame = Extract<ConnectorFrame, { type: 'event' }>;
type ResultFrame = Extract<ConnectorFrame, { type: 'result' }>;

const simulator = await startSimulatorProcess();
const raw = await startRawBaileys(simulator);
const dir = await mkdtemp(join(tmpdir(), 'kabar-bench-diag-'));
const rows: string[] = [];
const summary = (name: string, values: number[]) =>
  rows.push(`${name.padEnd(44)} p50 ${percentile(values, 50).toFixed(2).padStart(7)} ms   p99 ${percentile(values, 99).toFixed(2).padStart(7)} ms`);

for (const journal of ['as created (DELETE)', 'WAL'] as const) {
  const sessionId = journal === 'WAL' ? 'diag-wal' : 'diag';
  const dbFile = join(dir, `${sessionId}.db`);
  if (journal === 'WAL') {
    const db = new DatabaseSync(dbFile);
    db.exec('PRAGMA journal_mode = WAL');
    db.close();
  }
  const hub = await startTestHub({ secret: SECRET, autoAck: true, sessions: [{ sessionId, state: 'running', authEpoch: 0 }] });
  const connector = startConnectorProcess({ hubUrl: hub.url, secret: SECRET, waWsUrl: simulator.wsUrl, dbFile, id: sessionId });
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
  await simulator.scan(qr.event.qr, journal === 'WAL' ? '6281300000002' : '6281300000001');
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
      hub.send({ type: 'command', id, deadline: Date.now() + 30_000, command: { name: 'send.text', sessionId, to: RECIPIENT, text: `diag ${id}` } });
    });
  for (let i = 0; i < 20; i++) await send();
  const latencies: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    const start = performance.now();
    await send();
    latencies.push(performance.now() - start);
  }
  summary(`connector send.text, store ${journal}`, latencies);
  await connector.stop();
  await hub.close();
}

await raw.linkUpTo(1, RAW_PHONES);
await raw.sendLatencies(20, RECIPIENT);
summary('Baileys sendMessage, in process (reference)', await raw.sendLatencies(COUNT, RECIPIENT));
console.log(rows.join('\n'));
await raw.close();
await simulator.close();
await rm(dir, { recursive: true, force: true });
