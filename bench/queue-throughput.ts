// BENCH_ONLY=queue, the durable outbound queue (issue 19):
// (a) acceptance: messages accepted (202) and durable in the connector's queue per second, through
//     POST /api/messages/batch (1,000 a call) and through single POST /api/messages {"queue": true}. The
//     sessions' queues are paused meanwhile, so the rate is the acceptance alone, not acceptance beside the
//     drain; the messages are sent afterwards (resumed), which also warms every session's Signal session.
// (b) unpaced drain at 100 sessions (10 quick): from the first enqueue (one batch per session) to every
//     message stored by the simulator's recipient, beside plain Baileys sending the same count from as many
//     sockets to the same simulator, one message in flight per socket (what the queue does per session).
// The bench connector runs with PACING_DEFAULT=off (connector-process.ts). CPU ms per message per process
// comes with each (process-cpu.ts).
import { figure, type BenchSettings, type Figure } from './figure.ts';
import { RAW_PHONES, RECIPIENT, type Lab } from './lab.ts';
import { runPool } from './pool.ts';
import { measureCpu, perMessage, workerdChildren, type ProcessRef } from './process-cpu.ts';
import { median } from './stats.ts';

const ACCEPT_TARGET = 1_000;
const DRAIN_TARGET_RATIO = 0.5;
const BATCH = 1_000;
/** Batch calls in flight: a few, each a thousand messages. */
const BATCH_CONCURRENCY = 4;
/** Single queued posts in flight. */
const SINGLE_CONCURRENCY = 64;
const STORE_TIMEOUT_MS = 120_000;

type Run = { perSecond: number; messages: number; failed: number; unstored?: number; cpuMs: Record<string, number>; firstFailure?: string };

const text = (i: number, kind: string) => ({ to: RECIPIENT, type: 'text', text: { body: `${kind} ${i}` } });

async function gatewayProcesses(lab: Lab): Promise<ProcessRef[]> {
  return [{ name: 'connector', pid: lab.connector.pid }, { name: 'simulator', pid: lab.simulator.pid }, ...(await workerdChildren())];
}

async function control(lab: Lab, sessions: number, action: 'pause' | 'resume'): Promise<void> {
  await runPool(lab.sessions.slice(0, sessions), 16, async (s) => {
    const reply = await lab.http.call('POST', `/api/queue/${action}`, { headers: { 'x-api-key': s.apiKey } });
    if (reply.status !== 200) throw new Error(`queue ${action} of ${s.sessionId}: ${reply.status} ${reply.body}`);
  });
}

/** `calls` batches of 1,000 spread over the first `sessions`, the queues paused. */
async function acceptBatches(lab: Lab, sessions: number, calls: number): Promise<Run> {
  let failed = 0;
  let firstFailure: string | undefined;
  const start = performance.now();
  const { cpuMs } = await measureCpu(await gatewayProcesses(lab), () =>
    runPool(Array.from({ length: calls }, (_, i) => i), BATCH_CONCURRENCY, async (call) => {
      const messages = Array.from({ length: BATCH }, (_, i) => text(call * BATCH + i, 'batch'));
      const reply = await lab.http.call('POST', '/api/messages/batch', { headers: { 'x-api-key': lab.sessions[call % sessions]!.apiKey }, body: { messages } });
      if (reply.status === 202) return;
      failed += BATCH;
      firstFailure ??= `${reply.status} ${reply.body.slice(0, 200)}`;
    }),
  );
  const accepted = calls * BATCH - failed;
  return { perSecond: accepted / ((performance.now() - start) / 1_000), messages: accepted, failed, cpuMs: perMessage(cpuMs, accepted), ...(firstFailure ? { firstFailure } : {}) };
}

/** `total` single queued posts spread over the first `sessions`, the queues paused. */
async function acceptSingles(lab: Lab, sessions: number, total: number): Promise<Run> {
  let failed = 0;
  let firstFailure: string | undefined;
  const start = performance.now();
  const { cpuMs } = await measureCpu(await gatewayProcesses(lab), () =>
    runPool(Array.from({ length: total }, (_, i) => i), SINGLE_CONCURRENCY, async (i) => {
      const reply = await lab.http.call('POST', '/api/messages', { headers: { 'x-api-key': lab.sessions[i % sessions]!.apiKey }, body: { ...text(i, 'single'), queue: true } });
      if (reply.status === 202) return;
      failed++;
      firstFailure ??= `${reply.status} ${reply.body.slice(0, 200)}`;
    }),
  );
  const accepted = total - failed;
  return { perSecond: accepted / ((performance.now() - start) / 1_000), messages: accepted, failed, cpuMs: perMessage(cpuMs, accepted), ...(firstFailure ? { firstFailure } : {}) };
}

/** Waits until `count` more than `before` are stored; how many were (fewer after the timeout). */
async function storedSince(lab: Lab, before: number, count: number): Promise<number> {
  try {
    await lab.simulator.untilStored(before + count, STORE_TIMEOUT_MS);
    return count;
  } catch {
    return (await lab.simulator.stored()) - before;
  }
}

/** Resumes the paused queues and waits until what they held is stored: how many of `queued` were not. */
async function drainLeftovers(lab: Lab, sessions: number, queued: number): Promise<number> {
  const before = await lab.simulator.stored();
  await control(lab, sessions, 'resume');
  return queued - (await storedSince(lab, before, queued));
}

/** One batch per session (`perSession` each), unpaced: enqueue to every message stored. */
async function gatewayDrain(lab: Lab, sessions: number, perSession: number): Promise<Run> {
  const total = sessions * perSession;
  const before = await lab.simulator.stored();
  let failed = 0;
  let firstFailure: string | undefined;
  const start = performance.now();
  const { result, cpuMs } = await measureCpu(await gatewayProcesses(lab), async () => {
    await runPool(lab.sessions.slice(0, sessions), 16, async (s, index) => {
      const messages = Array.from({ length: perSession }, (_, i) => text(index * perSession + i, 'drain'));
      const reply = await lab.http.call('POST', '/api/messages/batch', { headers: { 'x-api-key': s.apiKey }, body: { messages } });
      if (reply.status === 202) return;
      failed += perSession;
      firstFailure ??= `${reply.status} ${reply.body.slice(0, 200)}`;
    });
    return storedSince(lab, before, total - failed);
  });
  const stored = result;
  return { perSecond: stored / ((performance.now() - start) / 1_000), messages: stored, failed, unstored: total - failed - stored, cpuMs: perMessage(cpuMs, stored), ...(firstFailure ? { firstFailure } : {}) };
}

async function rawDrain(lab: Lab, sessions: number, perSession: number): Promise<Run> {
  const total = sessions * perSession;
  const before = await lab.simulator.stored();
  const start = performance.now();
  let firstFailure: string | undefined;
  const { result: stored, cpuMs } = await measureCpu([{ name: 'baileys', pid: lab.raw.pid }, { name: 'simulator', pid: lab.simulator.pid }], async () => {
    // A socket that closed fails the burst; what was stored still counts, and the failure is reported.
    await lab.raw.sendBurst(sessions, total, sessions, RECIPIENT).catch((err: unknown) => (firstFailure = String(err).slice(0, 200)));
    return storedSince(lab, before, firstFailure ? 0 : total);
  });
  const counted = firstFailure ? (await lab.simulator.stored()) - before : stored;
  return { perSecond: counted / ((performance.now() - start) / 1_000), messages: counted, failed: total - counted, cpuMs: perMessage(cpuMs, counted), ...(firstFailure ? { firstFailure } : {}) };
}

function medianCpu(runs: Run[]): Record<string, number> {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.cpuMs)))];
  return Object.fromEntries(names.map((name) => [name, median(runs.map((r) => r.cpuMs[name] ?? 0))]));
}

const log = (line: string) => console.error(line);

export async function queueThroughput(lab: Lab, settings: BenchSettings): Promise<Figure[]> {
  const sessions = settings.quick ? 10 : 100;
  const batchCalls = settings.quick ? 2 : 4;
  const singles = settings.quick ? 400 : 1_000;
  const perSession = 20;
  // 10 at a time: 20 plain Baileys links at once timed out (60 s) at load 15 on 2 cores.
  await lab.pairUpTo(sessions, 10);
  await lab.raw.linkUpTo(sessions, RAW_PHONES, 10);
  // Warm-up: every session and socket opens its Signal session with RECIPIENT (a prekey fetch and a pkmsg).
  await gatewayDrain(lab, sessions, 1);
  await rawDrain(lab, sessions, 1);

  const batches: Run[] = [];
  const singleRuns: Run[] = [];
  const drains: Run[] = [];
  const references: Run[] = [];
  const leftoversUnstored: number[] = [];
  for (let run = 0; run < settings.runs; run++) {
    // The drains first: the thousands accepted below take minutes to send, and the reference's sockets
    // idle meanwhile (one closed under load 17 in such a wait).
    drains.push(await gatewayDrain(lab, sessions, perSession));
    references.push(await rawDrain(lab, sessions, perSession));
    log(`  drain at ${sessions} sessions: ${drains.at(-1)!.perSecond.toFixed(0)} msg/s; reference ${references.at(-1)!.perSecond.toFixed(0)} msg/s`);
    await control(lab, sessions, 'pause');
    batches.push(await acceptBatches(lab, sessions, batchCalls));
    singleRuns.push(await acceptSingles(lab, sessions, singles));
    log(`  accepted: batch ${batches.at(-1)!.perSecond.toFixed(0)} msg/s, single ${singleRuns.at(-1)!.perSecond.toFixed(0)} msg/s; sending them…`);
    leftoversUnstored.push(await drainLeftovers(lab, sessions, batches.at(-1)!.messages + singleRuns.at(-1)!.messages));
  }
  log(`    CPU ms per message: batch ${JSON.stringify(medianCpu(batches))}; single ${JSON.stringify(medianCpu(singleRuns))}`);
  log(`    CPU ms per message: drain ${JSON.stringify(medianCpu(drains))}; reference ${JSON.stringify(medianCpu(references))}`);

  const accept = (name: string, runs: Run[], detail: Record<string, unknown>) => {
    const ours = median(runs.map((r) => r.perSecond));
    return figure({
      name,
      unit: 'msg/s',
      ours,
      reference: null,
      referenceName: 'none (plain Baileys has no queue)',
      target: `>= ${ACCEPT_TARGET} msg/s`,
      pass: ours >= ACCEPT_TARGET && runs.every((r) => r.failed === 0),
      detail: {
        ...detail,
        sessions,
        runs: settings.runs,
        perRun: runs.map((r) => r.perSecond),
        failed: runs.map((r) => r.failed),
        cpuMsPerMessage: medianCpu(runs),
        ...(runs.find((r) => r.firstFailure) ? { firstFailure: runs.find((r) => r.firstFailure)!.firstFailure } : {}),
      },
    });
  };
  const ours = median(drains.map((r) => r.perSecond));
  const reference = median(references.map((r) => r.perSecond));
  return [
    accept('queued acceptance, batch', batches, { messagesPerRun: batchCalls * BATCH, perCall: BATCH, concurrency: BATCH_CONCURRENCY }),
    accept('queued acceptance, single', singleRuns, { messagesPerRun: singles, concurrency: SINGLE_CONCURRENCY }),
    figure({
      name: `unpaced queue drain, ${sessions} sessions`,
      unit: 'msg/s',
      ours,
      reference,
      referenceName: `${sessions} plain Baileys sockets, one send in flight each`,
      target: `>= ${DRAIN_TARGET_RATIO}x plain Baileys`,
      pass: reference > 0 && ours / reference >= DRAIN_TARGET_RATIO && drains.every((r) => r.failed === 0 && r.unstored === 0),
      detail: {
        messagesPerRun: sessions * perSession,
        perSession,
        runs: settings.runs,
        perRun: { ours: drains.map((r) => r.perSecond), reference: references.map((r) => r.perSecond) },
        failed: drains.map((r) => r.failed),
        unstored: { ours: drains.map((r) => r.unstored), reference: references.map((r) => r.failed), acceptedThenResumed: leftoversUnstored },
        ...(references.find((r) => r.firstFailure) ? { referenceFailure: references.find((r) => r.firstFailure)!.firstFailure } : {}),
        cpuMsPerMessage: { ours: medianCpu(drains), reference: medianCpu(references) },
      },
    }),
  ];
}
