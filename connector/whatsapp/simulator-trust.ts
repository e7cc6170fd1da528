// Lets Baileys trust the WhatsApp simulator's test root key, for tests and demos only. config.ts has
// already refused WA_SIMULATOR=1 unless WA_WS_URL is a loopback ws:// URL; this re-checks before acting.
import type { Logger } from 'pino';
import { isLoopbackWs } from '../config.ts';
import { trustMediaHostCa } from './media-host-trust.ts';

/**
 * Swaps Baileys' pinned WhatsApp root key for the simulator's and trusts its media host's test CA
 * (process-wide). Loaded lazily so a production connector never imports simulator code.
 */
export async function trustSimulator(waWsUrl: string, logger: Logger): Promise<void> {
  if (!isLoopbackWs(waWsUrl)) throw new Error(`refusing to trust the simulator root for ${waWsUrl}: not a loopback ws:// URL`);
  const { trustSimulatorRoot } = await import('../../simulator/test-root.ts');
  trustSimulatorRoot();
  // The CA's key was discarded after signing the one leaf (localhost, 127.0.0.1), so nothing else chains to it.
  const { MEDIA_TEST_CA } = await import('../../simulator/media-tls.ts');
  trustMediaHostCa(MEDIA_TEST_CA);
  logger.warn(
    { waWsUrl },
    'WA_SIMULATOR=1: trusting the WhatsApp SIMULATOR test root key and media CA; this connector cannot talk to real WhatsApp',
  );
}
