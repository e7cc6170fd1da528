// The WhatsApp Web version the connector announces. Pinned by default (WA_VERSION), so a run never depends
// on the network; with WA_VERSION_FETCH=true the current one is asked of web.whatsapp.com at start, within a
// bounded time, falling back to the pin. WhatsApp refuses a version it considers too old (405).
import { fetchLatestWaWebVersion } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';

export type WaVersion = [number, number, number];

/** The version Baileys 7.0.0-rc14 ships with; raise it (or set WA_VERSION) when WhatsApp answers 405. */
export const PINNED_WA_VERSION: WaVersion = [2, 3000, 1043857760];

/** How long start waits for web.whatsapp.com before falling back to the pin. */
export const WA_VERSION_FETCH_TIMEOUT_MS = 5_000;

/** "2.3000.1043857760" as a version, or null if it is not three dot-separated integers. */
export function parseWaVersion(text: string): WaVersion | null {
  const match = /^(\d{1,5})\.(\d{1,5})\.(\d{1,12})$/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

export type LatestVersion = (signal: AbortSignal) => Promise<{ version: readonly number[]; isLatest: boolean; error?: unknown }>;

/** Baileys' fetch of the version web.whatsapp.com serves now (it never throws; `isLatest` says whether it worked). */
export const fetchWaWebVersion: LatestVersion = (signal) => fetchLatestWaWebVersion({ signal });

/** The version to announce: fetched if `fetchLatest` is given and answers in time, else `pinned`. */
export async function resolveWaVersion(options: {
  pinned: WaVersion;
  fetchLatest?: LatestVersion | undefined;
  timeoutMs?: number;
  logger: Logger;
}): Promise<WaVersion> {
  const { pinned, fetchLatest, logger } = options;
  if (!fetchLatest) return pinned;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(null);
    }, options.timeoutMs ?? WA_VERSION_FETCH_TIMEOUT_MS);
  });
  try {
    const latest = await Promise.race([fetchLatest(controller.signal).catch((error: unknown) => ({ isLatest: false, version: [], error })), timedOut]);
    const version = latest?.isLatest ? parseWaVersion(latest.version.join('.')) : null;
    if (version) {
      logger.info({ version: version.join('.') }, 'using the WhatsApp Web version fetched at start');
      return version;
    }
    logger.warn({ err: latest?.error, pinned: pinned.join('.') }, latest ? 'could not fetch the WhatsApp Web version; using the pinned one' : 'fetching the WhatsApp Web version timed out; using the pinned one');
    return pinned;
  } finally {
    clearTimeout(timer);
  }
}
