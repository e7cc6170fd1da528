// Figure 2, edge throughput: authenticated GET /api/session/status per second against the bare Hono
// handler in the same workerd, each driven by the same closed loop (CONCURRENCY requests in flight) for the
// same time, alternating run by run. Medians over runs.
import { figure, type BenchSettings, type Figure } from './figure.ts';
import type { Lab } from './lab.ts';
import { median } from './stats.ts';
import { BARE_HOST } from './stack.ts';

const CONCURRENCY = 32;

/** Requests completed per second by CONCURRENCY loops over `durationMs`; any non-200 aborts the run. */
async function rate(lab: Lab, headers: Record<string, string>, durationMs: number): Promise<number> {
  const end = performance.now() + durationMs;
  let done = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const reply = await lab.http.call('GET', '/api/session/status', { headers });
      if (reply.status !== 200) throw new Error(`status ${reply.status}: ${reply.body}`);
      done++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return done / ((performance.now() - start) / 1_000);
}

export async function edgeThroughput(lab: Lab, settings: BenchSettings): Promise<Figure[]> {
  await lab.pairUpTo(1);
  const key = { 'x-api-key': lab.sessions[0]!.apiKey };
  const bare = { host: BARE_HOST };
  const durationMs = settings.quick ? 2_000 : 5_000;
  await rate(lab, key, 1_000);
  await rate(lab, bare, 1_000);
  const ours: number[] = [];
  const reference: number[] = [];
  for (let run = 0; run < settings.runs; run++) {
    ours.push(await rate(lab, key, durationMs));
    reference.push(await rate(lab, bare, durationMs));
  }
  const f = figure({
    name: 'GET /api/session/status throughput',
    unit: 'req/s',
    ours: median(ours),
    reference: median(reference),
    referenceName: 'bare Hono handler, same workerd',
    target: '>= 0.5x reference',
    pass: false,
    detail: { concurrency: CONCURRENCY, durationMs, runs: settings.runs, perRun: { ours, reference } },
  });
  return [{ ...f, pass: (f.ratio ?? 0) >= 0.5 }];
}
