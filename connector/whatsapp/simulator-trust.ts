// Lets Baileys trust the WhatsApp simulator's test root key, for tests and demos only. config.ts has
// already refused WA_SIMULATOR=1 unless WA_WS_URL is a loopback ws:// URL; this re-checks before acting.
import type { Logger } from 'pino';
import { isLoopbackWs } from '../config.ts';

/**
 * Swaps Baileys' pinned WhatsApp root key for the simulator's (process-wide). Loaded lazily so a
 * production connector never imports simulator code.
 */
export async function trustSimulator(waWsUrl: string, logger: Logger): Promise<void> {
  if (!isLoopbackWs(waWsUrl)) throw new Error(`refusing to trust the simulator root for ${waWsUrl}: not a loopback ws:// URL`);
  const { trustSimulatorRoot } = await import('../../simulator/test-root.ts');
  trustSimulatorRoot();
  logger.warn(
    { waWsUrl },
    'WA_SIMULATOR=1: trusting the WhatsApp SIMULATOR test root key; this connector cannot talk to real WhatsApp',
  );
}
