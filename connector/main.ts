// The connector process: reads the environment, opens the local store and starts the connector;
// SIGTERM / SIGINT shut it down gracefully. Everything else is built in app.ts.
import { Browsers, makeWASocket } from '@whiskeysockets/baileys';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { startConnector } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { openConnectorDb } from './db.ts';
import { LEASE_HELD_EXIT_CODE, acquireLease } from './lease.ts';
import { createLogger } from './logger.ts';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server.ts';
import { baileysLogger } from './whatsapp/baileys-logger.ts';
import { fetchWaWebVersion, resolveWaVersion } from './wa-version.ts';
import { ensureCurveVerify } from './whatsapp/curve-verify.ts';
import { historySyncConfig } from './whatsapp/history-sync.ts';
import { receiptHookInstalled } from './whatsapp/receipt-hook.ts';
import { muteLibsignalConsole } from '../shared/libsignal-console.ts';
import { trustSimulator } from './whatsapp/simulator-trust.ts';

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

const logger = createLogger(config.logLevel, config.logFormat);
muteLibsignalConsole((line) => logger.debug({ module: 'libsignal' }, line));
// Baileys lets some internal promises reject unobserved; one of those must not take 300 sessions down.
process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
const curve = ensureCurveVerify();
if (curve === 'patched-at-runtime') logger.warn('Baileys Curve.verify accepted a forged signature; replaced it at runtime (apply connector/patches)');
if (!receiptHookInstalled()) {
  logger.warn('Baileys is not patched (connector/patches): a crash right after a message arrives can lose it');
}
if (config.waSimulator) await trustSimulator(config.waWsUrl, logger);

const db = await openConnectorDb(config.dbUrl, { authToken: config.dbAuthToken, connectorId: config.connectorId, logger });
const leased = await acquireLease(db, config.connectorId, {
  onLost: (holder) => {
    // Another process now owns these logins: stop touching them at once (nothing is acked unstored).
    logger.fatal({ connectorId: config.connectorId, holder }, 'lost the connector lease to another process; exiting');
    process.exit(LEASE_HELD_EXIT_CODE);
  },
});
if (!leased.ok) {
  logger.fatal(
    { connectorId: config.connectorId, holder: leased.holder, expiresAt: new Date(leased.expiresAt).toISOString() },
    `another connector process with CONNECTOR_ID=${config.connectorId} is running on this store (${leased.holder}); refusing to start`,
  );
  db.close();
  process.exit(LEASE_HELD_EXIT_CODE);
}
const { lease } = leased;
const registry = new Registry();
collectDefaultMetrics({ register: registry });
let metricsServer: MetricsServer | undefined;
if (config.metrics) {
  try {
    metricsServer = await startMetricsServer(registry, config.metrics);
  } catch (err) {
    logger.fatal({ err }, `could not serve metrics on METRICS_HOST=${config.metrics.host} METRICS_PORT=${config.metrics.port}`);
    await lease.release();
    db.close();
    process.exit(1);
  }
  logger.info({ host: metricsServer.host, port: metricsServer.port }, `metrics on http://${metricsServer.host}:${metricsServer.port}/metrics`);
}
const waVersion = await resolveWaVersion({ pinned: config.waVersion, fetchLatest: config.waVersionFetch ? fetchWaWebVersion : undefined, logger });
const connector = startConnector({
  db,
  authStateKey: config.authStateKey,
  hubUrl: config.hubUrl,
  connectorId: config.connectorId,
  connectorSecret: config.connectorSecret,
  logger,
  // Baileys is chatty at info; it gets warn unless the operator asked for more (or less).
  baileysLogger: baileysLogger(logger.child({ module: 'baileys' }, { level: config.logLevel === 'info' ? 'warn' : config.logLevel })),
  makeSocket: makeWASocket,
  socketConfig: { waWebSocketUrl: config.waWsUrl, browser: Browsers.ubuntu('Kabar'), version: waVersion, keepAliveIntervalMs: config.waKeepAliveIntervalMs, ...historySyncConfig(config.historySync) },
  messageStoreDays: config.messageStoreDays,
  qrMaxRounds: config.qrMaxRounds,
  maxMediaBytes: config.maxMediaBytes,
  registry,
  defaultPacing: config.defaultPacing,
  paceBudgetMs: config.paceBudgetMs,
});
logger.info({ hubUrl: config.hubUrl, connectorId: config.connectorId, waSimulator: config.waSimulator, waVersion: waVersion.join('.') }, 'connector started');

// Ctrl-C often reaches the connector twice at once: the terminal's SIGINT to the whole process group and
// the SIGTERM or SIGINT its supervisor (npm, a start script) forwards. Only a signal that comes later,
// a person asking again, means "now"; that is safe, because nothing is acknowledged before it is stored.
const SAME_STOP_WINDOW_MS = 2_000;
let stoppingSince: number | undefined;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < SAME_STOP_WINDOW_MS) return;
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'signal received');
    connector
      .shutdown()
      .then(() => metricsServer?.close())
      .then(() => lease.release())
      .then(() => db.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  });
}
