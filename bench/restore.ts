// Figure 5, restore: from spawning a connector process on a store holding N logins to all N devices logged
// in at the simulator, against plain Baileys reopening N sockets from in-memory state with the same number
// of handshakes at a time as the connector's start queue (5). The busiest second of logins at the
// simulator shows whether either side stampedes.
import { setTimeout as sleep } from 'node:timers/promises';
import { figure, type Figure } from './figure.ts';
import type { Lab } from './lab.ts';
import { settledRss } from './process-memory.ts';

const TARGET_MS = 60_000;
/** The connector's default start-queue concurrency (connector/app.ts), used for the reference too. */
const START_CONCURRENCY = 5;
const RESTORE_TIMEOUT_MS = 300_000;

async function hubWorkingSince(lab: Lab, sinceMs: number): Promise<number> {
  const result = await lab.stack.db.execute({
    sql: `SELECT count(DISTINCT session_id) AS n FROM events WHERE name = 'connection.update' AND occurred_at >= ? AND payload LIKE '%"status":"WORKING"%'`,
    args: [sinceMs],
  });
  return Number(result.rows[0]?.n ?? 0);
}

/** Memory of the restored processes, per session: no pairing leftovers, the state a restarted connector runs in. */
export type RestoredMemory = { baselineConnector: number; baselineRaw: number };

export async function restore(lab: Lab, sessions: number, baseline?: RestoredMemory): Promise<Figure> {
  const rawOnline = (await lab.simulator.online()) - lab.sessions.length;
  await lab.stopConnector();
  const startedAt = Date.now();
  lab.startConnector();
  await lab.simulator.untilOnline(rawOnline + sessions, RESTORE_TIMEOUT_MS);
  const oursMs = Date.now() - startedAt;
  // The API reports a session connected once the hub stored its WORKING event; that lags the login a little.
  while ((await hubWorkingSince(lab, startedAt)) < sessions && Date.now() - startedAt < RESTORE_TIMEOUT_MS) await sleep(50);
  const hubMs = Date.now() - startedAt;
  const oursLogins = await lab.simulator.loginsSince(startedAt);

  await lab.raw.endAll();
  while ((await lab.simulator.online()) > sessions) await sleep(25);
  const rawStartedAt = Date.now();
  const referenceMs = await lab.raw.reconnectAll(START_CONCURRENCY);
  const rawLogins = await lab.simulator.loginsSince(rawStartedAt);
  let memory: Record<string, number> = {};
  if (baseline) {
    await sleep(2_000);
    const MB = 1024 * 1024;
    const connector = await settledRss(lab.connector.pid);
    const raw = await settledRss(lab.raw.pid);
    memory = {
      restoredConnectorMBPerSession: (connector - baseline.baselineConnector) / (sessions - 1) / MB,
      rawAfterReconnectMBPerSession: (raw - baseline.baselineRaw) / (sessions - 1) / MB,
    };
  }

  const f = figure({
    name: `restore ${sessions} sessions`,
    unit: 'ms',
    ours: oursMs,
    reference: referenceMs,
    referenceName: `plain Baileys reconnect, ${START_CONCURRENCY} at a time`,
    target: sessions >= 1_000 ? `< ${TARGET_MS / 1_000} s, no stampede` : 'no stampede',
    pass: false,
    detail: {
      untilHubStoredAllWorkingMs: hubMs,
      peakLoginsPerSecond: { ours: oursLogins.peakPerSecond, reference: rawLogins.peakPerSecond },
      oursIncludesProcessStart: true,
      ...memory,
    },
  });
  // No stampede: logins arrive through the start queue, never all at once.
  const calm = oursLogins.peakPerSecond < sessions || sessions <= START_CONCURRENCY;
  return { ...f, pass: calm && (sessions < 1_000 || oursMs < TARGET_MS) };
}
