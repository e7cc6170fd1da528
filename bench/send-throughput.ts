// Figure 3, send throughput: messages per second accepted by POST /api/send (200) and acked by the simulator
// (decrypted and stored by the recipient), spread over 1, 10 and 100 connected sessions, against the same
// number of plain Baileys sockets sending as fast with the same concurrency. Medians over runs.
import { figure, type BenchSettings, type Figure } from './figure.ts';
import { RAW_PHONES, RECIPIENT, type Lab } from './lab.ts';
import { runPool } from './pool.ts';
import { measureCpu, perMessage, workerdChildren, type ProcessRef } from './process-cpu.ts';
import { median } from './stats.ts';

/** Issue 19's target at 100 sessions: plain Baileys' rate on the same simulator, in the same run, times this. */
const TARGET_RATIO = 0.35;
/**
 * Requests in flight: 8 per session, at most 64. One Baileys socket with 64 sends in flight falls apart on
 * both sides (the reference too: messages go unstored, the gateway answers 504), which measures a pile-up,
 * not throughput.
 */
const concurrencyFor = (sessions: number) => Math.min(64, 8 * sessions);
const STORE_TIMEOUT_MS = 120_000;

/** `cpuMs`: CPU milliseconds per stored message, by process (process-cpu.ts). */
type Burst = { perSecond: number; failed: number; unstored: number; cpuMs: Record<string, number>; firstFailure?: string };

/** Waits for the simulator to store `count` more messages than `before`; returns how many it did store. */
async function stored(lab: Lab, before: number, count: number): Promise<number> {
  try {
    await lab.simulator.untilStored(before + count, STORE_TIMEOUT_MS);
    return count;
  } catch {
    return (await lab.simulator.stored()) - before;
  }
}

/** A failed send (a 504 under overload) is counted, not fatal: throughput counts only what got through. */
async function gatewayBurst(lab: Lab, sessions: number, total: number): Promise<Burst> {
  const before = await lab.simulator.stored();
  let failed = 0;
  let firstFailure: string | undefined;
  const start = performance.now();
  const processes: ProcessRef[] = [{ name: 'connector', pid: lab.connector.pid }, { name: 'simulator', pid: lab.simulator.pid }, ...(await workerdChildren())];
  const { result: acked, cpuMs } = await measureCpu(processes, async () => {
    await runPool(Array.from({ length: total }, (_, i) => i), concurrencyFor(sessions), async (i) => {
      const reply = await lab.http.call('POST', '/api/send', {
        headers: { 'x-api-key': lab.sessions[i % sessions]!.apiKey },
        body: { to: RECIPIENT, message: `burst ${i}` },
      });
      if (reply.status === 200) return;
      failed++;
      firstFailure ??= `${reply.status} ${reply.body.slice(0, 200)}`;
    });
    return Math.min(total - failed, await stored(lab, before, total - failed));
  });
  const perSecond = acked / ((performance.now() - start) / 1_000);
  return { perSecond, failed, unstored: total - failed - acked, cpuMs: perMessage(cpuMs, acked), ...(firstFailure ? { firstFailure } : {}) };
}

async function rawBurst(lab: Lab, sessions: number, total: number): Promise<Burst> {
  const before = await lab.simulator.stored();
  const start = performance.now();
  const processes: ProcessRef[] = [{ name: 'baileys', pid: lab.raw.pid }, { name: 'simulator', pid: lab.simulator.pid }];
  const { result: acked, cpuMs } = await measureCpu(processes, async () => {
    await lab.raw.sendBurst(sessions, total, concurrencyFor(sessions), RECIPIENT);
    return stored(lab, before, total);
  });
  return { perSecond: acked / ((performance.now() - start) / 1_000), failed: 0, unstored: total - acked, cpuMs: perMessage(cpuMs, acked) };
}

/** Each process's median CPU per message over the runs. */
function medianCpu(bursts: Burst[]): Record<string, number> {
  const names = [...new Set(bursts.flatMap((b) => Object.keys(b.cpuMs)))];
  return Object.fromEntries(names.map((name) => [name, median(bursts.map((b) => b.cpuMs[name] ?? 0))]));
}

export async function sendThroughput(lab: Lab, settings: BenchSettings): Promise<Figure[]> {
  const sizes = settings.quick ? [1, 10] : [1, 10, 100];
  const figures: Figure[] = [];
  for (const sessions of sizes) {
    await lab.pairUpTo(sessions, 20);
    await lab.raw.linkUpTo(sessions, RAW_PHONES, 20);
    // Warm-up: every session opens its Signal session with RECIPIENT once (a prekey fetch and a pkmsg).
    await gatewayBurst(lab, sessions, sessions * 2);
    await rawBurst(lab, sessions, sessions * 2);
    const total = Math.max(settings.quick ? 200 : 600, sessions * (settings.quick ? 4 : 10));
    const bursts: Burst[] = [];
    const references: Burst[] = [];
    for (let run = 0; run < settings.runs; run++) {
      bursts.push(await gatewayBurst(lab, sessions, total));
      references.push(await rawBurst(lab, sessions, total));
    }
    const ours = bursts.map((b) => b.perSecond);
    const reference = references.map((b) => b.perSecond);
    console.error(`  ${sessions} session(s): ${ours.map((v) => v.toFixed(0)).join(', ')} msg/s; reference ${reference.map((v) => v.toFixed(0)).join(', ')}`);
    console.error(`    CPU ms per message: ours ${JSON.stringify(medianCpu(bursts))}; reference ${JSON.stringify(medianCpu(references))}`);
    const failures = bursts.filter((b) => b.failed > 0);
    const atTarget = sessions === 100;
    figures.push(
      figure({
        name: `send throughput, ${sessions} session${sessions > 1 ? 's' : ''}`,
        unit: 'msg/s',
        ours: median(ours),
        reference: median(reference),
        referenceName: `${sessions} plain Baileys socket${sessions > 1 ? 's' : ''}, one process`,
        target: atTarget ? `>= ${TARGET_RATIO}x` : '-',
        pass: atTarget ? median(ours) >= TARGET_RATIO * median(reference) && failures.length === 0 : null,
        detail: {
          messagesPerRun: total,
          concurrency: concurrencyFor(sessions),
          runs: settings.runs,
          perRun: { ours, reference },
          failedSends: bursts.map((b) => b.failed),
          unstored: { ours: bursts.map((b) => b.unstored), reference: references.map((b) => b.unstored) },
          cpuMsPerMessage: { ours: medianCpu(bursts), reference: medianCpu(references) },
          ...(failures[0] ? { firstFailure: failures[0].firstFailure } : {}),
        },
      }),
    );
  }
  return figures;
}
