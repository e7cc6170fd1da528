// Figure 4, connector memory: resident memory per connected idle session, (RSS at N - RSS at 1) / (N - 1),
// of the connector process against a process of plain Baileys sockets (in-memory auth state, nothing else)
// linked to the same simulator in the same run. RSS is read after a forced GC, median of samples.
import { figure, type Figure } from './figure.ts';
import type { Lab } from './lab.ts';
import { settledRss } from './process-memory.ts';

const MB = 1024 * 1024;
const TARGET_RATIO = 1.3;

export type MemoryBaseline = { connector: number; raw: number; sessions: number };

/** RSS of both processes holding `sessions` sessions each (the caller links them). */
export async function memoryBaseline(lab: Lab, sessions: number): Promise<MemoryBaseline> {
  return { connector: await settledRss(lab.connector.pid), raw: await settledRss(lab.raw.pid), sessions };
}

/** Both sides must hold exactly `sessions` connected sessions (see fleet.ts). */
export async function connectorMemory(lab: Lab, sessions: number, baseline: MemoryBaseline): Promise<Figure> {
  // Idle means idle: let the logins' follow-up traffic (prekey uploads, creds writes) finish first.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const connector = await settledRss(lab.connector.pid);
  const raw = await settledRss(lab.raw.pid);
  const added = sessions - baseline.sessions;
  const ours = (connector - baseline.connector) / added / MB;
  const reference = (raw - baseline.raw) / added / MB;
  const f = figure({
    name: `connector memory per session, ${sessions} sessions`,
    unit: 'MB',
    ours,
    reference,
    referenceName: 'plain Baileys sockets, in-memory auth',
    target: `<= ${TARGET_RATIO}x reference${sessions >= 1_000 ? ', 1,000 connected' : ''}`,
    pass: false,
    detail: {
      connectorRssMB: connector / MB,
      connectorBaselineMB: baseline.connector / MB,
      rawRssMB: raw / MB,
      rawBaselineMB: baseline.raw / MB,
      connectedOnSimulator: await lab.simulator.online(),
    },
  });
  return { ...f, pass: (f.ratio ?? Infinity) <= TARGET_RATIO };
}
