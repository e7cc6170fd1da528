// Figure 1, relay overhead: one request at a time, p50 and p99 of
//  - GET /api/session/status (auth via KeyGate, hub view) against the bare Hono handler in the same workerd;
//  - POST /api/send (Worker -> hub -> connector -> Baileys -> simulator) against Baileys' own sendMessage,
//    called directly in one process on the same simulator.
// Each run measures both sides back to back; the reported numbers are medians of the per-run percentiles.
import { figure, type BenchSettings, type Figure } from './figure.ts';
import { RAW_PHONES, RECIPIENT, type Lab } from './lab.ts';
import { median, percentile } from './stats.ts';
import { BARE_HOST } from './stack.ts';

const TARGET_P50_MS = 3;
const TARGET_P99_MS = 10;

async function timeEach(count: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await call(i);
    latencies.push(performance.now() - start);
  }
  return latencies;
}

export async function relayLatency(lab: Lab, settings: BenchSettings): Promise<Figure[]> {
  await lab.pairUpTo(1);
  await lab.raw.linkUpTo(1, RAW_PHONES);
  const key = { 'x-api-key': lab.sessions[0]!.apiKey };
  const count = settings.quick ? 100 : 400;
  const status = async () => {
    const reply = await lab.http.call('GET', '/api/session/status', { headers: key });
    if (reply.status !== 200) throw new Error(`status: ${reply.status} ${reply.body}`);
  };
  const bare = async () => {
    const reply = await lab.http.call('GET', '/api/session/status', { headers: { host: BARE_HOST } });
    if (reply.status !== 200) throw new Error(`bare: ${reply.status} ${reply.body}`);
  };
  const send = async (i: number) => {
    const reply = await lab.http.call('POST', '/api/send', { headers: key, body: { to: RECIPIENT, message: `relay ${i}` } });
    if (reply.status !== 200) throw new Error(`send: ${reply.status} ${reply.body}`);
  };
  // Warm-up: JIT, connection pools, the KeyGate's cached key row, and the Signal session with RECIPIENT.
  await timeEach(30, status);
  await timeEach(30, bare);
  await timeEach(20, send);
  await lab.raw.sendLatencies(20, RECIPIENT);

  const runs: Record<'status' | 'bare' | 'send' | 'direct', { p50: number; p99: number }[]> = { status: [], bare: [], send: [], direct: [] };
  const summarise = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
  for (let run = 0; run < settings.runs; run++) {
    runs.status.push(summarise(await timeEach(count, status)));
    runs.bare.push(summarise(await timeEach(count, bare)));
    runs.send.push(summarise(await timeEach(count, send)));
    runs.direct.push(summarise(await lab.raw.sendLatencies(count, RECIPIENT)));
  }
  const m = (side: keyof typeof runs, p: 'p50' | 'p99') => median(runs[side].map((r) => r[p]));
  const row = (name: string, ours: keyof typeof runs, reference: keyof typeof runs, referenceName: string, p: 'p50' | 'p99') => {
    const limit = p === 'p50' ? TARGET_P50_MS : TARGET_P99_MS;
    const added = m(ours, p) - m(reference, p);
    return figure({
      name: `${name} latency ${p}`,
      unit: 'ms',
      ours: m(ours, p),
      reference: m(reference, p),
      referenceName,
      target: `adds < ${limit} ms`,
      pass: added < limit,
      detail: { addedMs: added, requestsPerRun: count, runs: settings.runs, perRun: { ours: runs[ours].map((r) => r[p]), reference: runs[reference].map((r) => r[p]) } },
    });
  };
  return [
    row('GET /api/session/status', 'status', 'bare', 'bare Hono handler, same workerd', 'p50'),
    row('GET /api/session/status', 'status', 'bare', 'bare Hono handler, same workerd', 'p99'),
    row('POST /api/send', 'send', 'direct', 'Baileys sendMessage, in process', 'p50'),
    row('POST /api/send', 'send', 'direct', 'Baileys sendMessage, in process', 'p99'),
  ];
}
