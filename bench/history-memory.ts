// Connector memory at freshly paired sessions whose phones pushed history (issue 10, item 9): resident
// memory per session, (RSS at N - RSS at 1) / (N - 1), after each phone pushed an initial bootstrap and a
// RECENT chunk of BENCH_HISTORY_CHATS chats (20 texts each) and its app-state keys. Under the default
// HISTORY_SYNC (mappings) the connector processes the bootstrap for its mappings, skips the RECENT chunk and
// keeps no message body, so the figure should stay near the idle one (the memory row). No plain-Baileys
// reference: with Baileys' defaults it would run the initial app-state sync, which the simulator cannot serve.
import { setTimeout as sleep } from 'node:timers/promises';
import { figure, type BenchSettings, type Figure } from './figure.ts';
import { startLab } from './lab.ts';
import { settledRss } from './process-memory.ts';

const MB = 1024 * 1024;
const CHATS = 50;

export async function historyMemory(settings: BenchSettings, log: (line: string) => void): Promise<Figure[]> {
  const sessions = settings.quick ? 20 : 100;
  const lab = await startLab({ simulatorEnv: { BENCH_HISTORY_CHATS: String(CHATS) } });
  try {
    await lab.pairUpTo(1);
    const baseline = await settledRss(lab.connector.pid);
    const started = performance.now();
    await lab.pairUpTo(sessions, 24);
    log(`  ${sessions} sessions paired with history (${((performance.now() - started) / 1_000).toFixed(1)} s)`);
    // As in the memory row: let the logins' follow-up traffic (history, prekeys, creds writes) finish first.
    await sleep(2_000);
    const rss = await settledRss(lab.connector.pid);
    return [
      figure({
        name: `connector memory per session, ${sessions} freshly paired with history`,
        unit: 'MB',
        ours: (rss - baseline) / (sessions - 1) / MB,
        reference: null,
        referenceName: 'none (compare the memory row: idle sessions, no history)',
        target: 'history bodies not kept (HISTORY_SYNC=mappings)',
        pass: null,
        detail: { connectorRssMB: rss / MB, connectorBaselineMB: baseline / MB, historyChunksPushed: await lab.simulator.historyPushed(), chatsPerChunk: CHATS, textsPerChat: 20 },
      }),
    ];
  } catch (err) {
    log(`connector output (tail):\n${lab.connector.output()}`);
    throw err;
  } finally {
    await lab.close();
  }
}
