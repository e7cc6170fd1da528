// Figures 4 and 5 share one growing fleet: both the connector and the raw-Baileys process link sessions up
// to each size; memory is read at its sizes and a restore is run at its sizes, smallest first.
import { connectorMemory, memoryBaseline } from './connector-memory.ts';
import type { BenchSettings, Figure } from './figure.ts';
import { RAW_PHONES, type Lab } from './lab.ts';
import { restore } from './restore.ts';

export type FleetPlan = { memory: number[]; restore: number[] };

export function fleetPlan(settings: BenchSettings, only: { memory: boolean; restore: boolean }): FleetPlan {
  return {
    memory: only.memory ? (settings.quick ? [10, 50] : [10, 100, 1_000]) : [],
    restore: only.restore ? (settings.quick ? [50] : [100, 1_000]) : [],
  };
}

export async function fleetBenchmarks(lab: Lab, plan: FleetPlan, log: (line: string) => void): Promise<Figure[]> {
  const figures: Figure[] = [];
  // Baselines with one session each: code loaded and the WhatsApp, hub and DB paths warmed, so the
  // per-session figure counts sessions, not first-use allocations.
  await lab.pairUpTo(1);
  await lab.raw.linkUpTo(1, RAW_PHONES);
  const baseline = await memoryBaseline(lab, 1);
  const sizes = [...new Set([...plan.memory, ...plan.restore])].sort((a, b) => a - b);
  for (const size of sizes) {
    const started = performance.now();
    // Setup, not measurement: both sides link at once to keep the run short.
    await Promise.all([lab.pairUpTo(size, 24), lab.raw.linkUpTo(size, RAW_PHONES, 12)]);
    log(`  fleet at ${size} sessions (linked in ${((performance.now() - started) / 1_000).toFixed(1)} s)`);
    if (plan.memory.includes(size)) figures.push(await connectorMemory(lab, size, baseline));
    if (plan.restore.includes(size)) figures.push(await restore(lab, size, { baselineConnector: baseline.connector, baselineRaw: baseline.raw }));
  }
  return figures;
}
