// The connector's configuration: read from the environment once at start and checked with zod, so a bad or
// missing variable stops the process with the variable's name instead of failing later.
import { z } from 'zod';
import { DEFAULT_PACING, type PacingPolicy } from '../shared/pacing.ts';
import { DEFAULT_HISTORY_SYNC, HISTORY_SYNC_MODES, type HistorySyncMode } from './whatsapp/history-sync.ts';
import { PINNED_WA_VERSION, parseWaVersion, type WaVersion } from './wa-version.ts';
import { parseAuthStateKey } from './whatsapp/auth-crypto.ts';

/** WhatsApp Web's own endpoint; overridden only to point at the simulator. */
export const DEFAULT_WA_WS_URL = 'wss://web.whatsapp.com/ws/chat';
export const DEFAULT_CONNECTOR_DB_URL = 'file:data/connector.db';
/**
 * How often Baileys pings WhatsApp (an iq with xmlns "w:p") on every open socket. Baileys ends a socket
 * as lost (408) at the first ping tick that finds no frame received for the interval plus 5 s, so a
 * stalled connection (open but silent, or pings unanswered) is noticed within two intervals whenever
 * the interval exceeds those 5 s. 30 s is Baileys' own default, the cadence WhatsApp is used to from
 * Baileys clients: a zombie session is found within a minute, for one small iq per session every 30 s.
 */
export const DEFAULT_WA_KEEPALIVE_INTERVAL_MS = 30_000;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

const wsUrl = z.url({ protocol: /^wss?$/, error: 'must be a ws:// or wss:// URL' });

const EnvSchema = z.object({
  HUB_URL: wsUrl,
  CONNECTOR_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . -'),
  // Long enough that it cannot be guessed; the hub only ever sees an HMAC made with it.
  CONNECTOR_SECRET: z.string().min(16, 'must be at least 16 characters'),
  AUTH_STATE_KEY: z.string().transform((text, ctx) => {
    const key = parseAuthStateKey(text);
    if (!key) ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, as 64 hex digits or base64' });
    return key ?? Buffer.alloc(0);
  }),
  CONNECTOR_DB_URL: z.string().min(1).default(DEFAULT_CONNECTOR_DB_URL),
  CONNECTOR_DB_AUTH_TOKEN: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // JSON lines for log collectors in production; `npm start` asks for readable lines.
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  WA_WS_URL: wsUrl.default(DEFAULT_WA_WS_URL),
  WA_SIMULATOR: z.enum(['0', '1']).default('0'),
  // Down to 1 s for tests; below about 6 s Baileys' fixed 5 s grace, not the interval, sets the detection time.
  WA_KEEPALIVE_INTERVAL_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(1_000, 'must be at least 1000 (ms)')
    .max(600_000, 'must be at most 600000 (ms)')
    .default(DEFAULT_WA_KEEPALIVE_INTERVAL_MS),
  // Each round is one connection's worth of QR codes (about a minute on WhatsApp); 5 gives a user ~5 minutes.
  QR_MAX_ROUNDS: z.coerce.number({ error: 'must be a whole number from 1' }).int('must be a whole number from 1').min(1, 'must be a whole number from 1').default(5),
  HUB_ALLOW_INSECURE: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
  WA_VERSION: z
    .string()
    .transform((text, ctx) => {
      const version = parseWaVersion(text);
      if (!version) ctx.addIssue({ code: 'custom', message: 'must be a WhatsApp Web version such as 2.3000.1043857760' });
      return version ?? PINNED_WA_VERSION;
    })
    .optional(),
  WA_VERSION_FETCH: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
  HISTORY_SYNC: z.enum(HISTORY_SYNC_MODES, { error: `must be one of ${HISTORY_SYNC_MODES.join(', ')}` }).default(DEFAULT_HISTORY_SYNC),
  // WhatsApp's own cap is 100 MiB (its media_conn announces it), so larger is never needed.
  MAX_MEDIA_BYTES: z.coerce.number({ error: 'must be a number of bytes' }).int('must be a whole number of bytes').min(1).max(2 * 1024 ** 3).default(100 * 1024 ** 2),
  MESSAGE_STORE_DAYS: z.coerce.number({ error: 'must be a number of days' }).int('must be a whole number of days').min(1).max(365).default(7),
  // Off unless set: several connectors may share a machine, and a fixed default port would make the second fail.
  // 0 takes any free port (tests); the bound address is logged.
  METRICS_PORT: z.coerce.number({ error: 'must be a port number' }).int('must be a port number').min(0, 'must be a port number from 0 to 65535').max(65_535, 'must be a port number from 0 to 65535').optional(),
  // Loopback unless widened: the metrics name sessions and are served without authentication.
  METRICS_HOST: z.string().regex(/^[A-Za-z0-9.:_-]{1,253}$/, 'must be a host name or IP address').default('127.0.0.1'),
  // Pacing of sessions the hub sends no policy for: `on` is the documented safe defaults (shared/pacing.ts);
  // `off` sends unpaced (test stacks and benchmarks).
  PACING_DEFAULT: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  // How long a synchronous send may wait for its paced slot before it is refused (429 with Retry-After).
  PACE_BUDGET_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be a whole number of milliseconds').min(0).max(120_000).default(10_000),
});

export type ConnectorConfig = {
  hubUrl: string;
  connectorId: string;
  connectorSecret: string;
  authStateKey: Buffer;
  dbUrl: string;
  dbAuthToken: string | undefined;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  logFormat: z.infer<typeof EnvSchema>['LOG_FORMAT'];
  waWsUrl: string;
  /** Trust the WhatsApp simulator's test root key; only ever true with a loopback ws:// WA_WS_URL. */
  waSimulator: boolean;
  /** The WhatsApp Web version announced (WA_VERSION, else the pin). */
  waVersion: WaVersion;
  /** Ask web.whatsapp.com for the current version at start, falling back to waVersion (WA_VERSION_FETCH). */
  waVersionFetch: boolean;
  /** Baileys' keepAliveIntervalMs: the liveness ping period (see DEFAULT_WA_KEEPALIVE_INTERVAL_MS). */
  waKeepAliveIntervalMs: number;
  /** Days sent and received messages are kept (sealed) to answer retry receipts. */
  messageStoreDays: number;
  /** Unscanned QR rounds before a session stops with QR_TIMEOUT. */
  qrMaxRounds: number;
  /** Received media over this size is reported with media.error TOO_LARGE instead of its bytes (MAX_MEDIA_BYTES). */
  maxMediaBytes: number;
  /** How much pushed history Baileys processes (HISTORY_SYNC); history messages are never reported as new. */
  historySync: HistorySyncMode;
  /** Where Prometheus scrapes `/metrics` (METRICS_PORT, METRICS_HOST); undefined when metrics are not served. */
  metrics: { port: number; host: string } | undefined;
  /** The pacing of sessions the hub sends no policy for (PACING_DEFAULT). */
  defaultPacing: PacingPolicy;
  /** PACE_BUDGET_MS. */
  paceBudgetMs: number;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws ConfigError naming every bad or missing variable. */
export function loadConfig(env: Record<string, string | undefined>): ConnectorConfig {
  // An empty variable is treated as unset so `FOO=` in a .env file falls back to the default.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      return `${name}: ${issue.code === 'invalid_type' && present[name] === undefined ? 'is required' : issue.message}`;
    });
    throw new ConfigError(`invalid connector configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if (!isHubUrlSafe(e.HUB_URL) && e.HUB_ALLOW_INSECURE !== 'true') {
    // Hub frames are destructive (remove, a higher authEpoch unlink phones) and the link carries message
    // texts: on an unencrypted link to another machine anyone on the path could read or forge them.
    throw new ConfigError(
      `invalid connector configuration:\n  HUB_URL: ws:// to a non-loopback host is unencrypted; use wss:// (or set HUB_ALLOW_INSECURE=true on a network you trust), got ${e.HUB_URL}`,
    );
  }
  const waSimulator = e.WA_SIMULATOR === '1';
  if (waSimulator && !isLoopbackWs(e.WA_WS_URL)) {
    // The simulator's root key is public test material: trusting it against a real network endpoint would
    // let anyone who has it impersonate WhatsApp.
    throw new ConfigError(`WA_SIMULATOR=1 requires WA_WS_URL to be a loopback ws:// URL, got ${e.WA_WS_URL}`);
  }
  return {
    hubUrl: e.HUB_URL.replace(/\/+$/, ''),
    connectorId: e.CONNECTOR_ID,
    connectorSecret: e.CONNECTOR_SECRET,
    authStateKey: e.AUTH_STATE_KEY,
    dbUrl: e.CONNECTOR_DB_URL,
    dbAuthToken: e.CONNECTOR_DB_AUTH_TOKEN,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    waWsUrl: e.WA_WS_URL,
    waSimulator,
    waVersion: e.WA_VERSION ?? PINNED_WA_VERSION,
    waVersionFetch: e.WA_VERSION_FETCH === 'true',
    waKeepAliveIntervalMs: e.WA_KEEPALIVE_INTERVAL_MS,
    messageStoreDays: e.MESSAGE_STORE_DAYS,
    qrMaxRounds: e.QR_MAX_ROUNDS,
    maxMediaBytes: e.MAX_MEDIA_BYTES,
    historySync: e.HISTORY_SYNC,
    metrics: e.METRICS_PORT === undefined ? undefined : { port: e.METRICS_PORT, host: e.METRICS_HOST },
    defaultPacing: e.PACING_DEFAULT === 'on' ? DEFAULT_PACING : { ...DEFAULT_PACING, enabled: false },
    paceBudgetMs: e.PACE_BUDGET_MS,
  };
}

/** wss:// anywhere, ws:// only to this machine. */
function isHubUrlSafe(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'wss:' || LOOPBACK_HOSTS.has(parsed.hostname);
}

/** True for ws:// (never wss://, which would suggest a real remote endpoint) on a loopback host. */
export function isLoopbackWs(url: string): boolean {
  const parsed = URL.parse(url);
  return parsed !== null && parsed.protocol === 'ws:' && LOOPBACK_HOSTS.has(parsed.hostname);
}
