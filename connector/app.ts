// Builds one running connector from its I/O (DB client, hub URL, Baileys socket factory) and knows the
// order of a graceful shutdown. main.ts supplies the real things; tests hand in loopback ones.
import type { Client } from '@libsql/client';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { PacingPolicy } from '../shared/pacing.ts';
import { SessionEvent, type DesiredSession } from '../shared/protocol.ts';
import { runCommand, sendMessage } from './commands.ts';
import { CommitGroup } from './commit-group.ts';
import { Fence } from './fence.ts';
import { HubLink } from './hub-link.ts';
import { mediaLinkSource } from './media/media-link-source.ts';
import { createMediaJobs } from './media/media-jobs.ts';
import { MediaReceiver } from './media/media-receiver.ts';
import { workerOrigin } from './media/worker-origin.ts';
import { withAckLag } from './metrics/ack-lag.ts';
import { createConnectorMetrics } from './metrics/connector-metrics.ts';
import { queueGauges } from './metrics/queue-gauges.ts';
import { registerScrapeGauges } from './metrics/scrape-gauges.ts';
import { createOutbox } from './outbox.ts';
import { QueueRunner } from './queue/queue-runner.ts';
import { createSendQueue } from './queue/send-queue.ts';
import { warningOfFailure } from './queue/warning-signs.ts';
import { startSeenReporter } from './seen-reporter.ts';
import { createAuthStore } from './whatsapp/auth-state.ts';
import { DeviceUnlinker } from './whatsapp/device-unlinker.ts';
import { createLoginHandover } from './whatsapp/login-handover.ts';
import { createPendingUnlinks } from './whatsapp/pending-unlinks.ts';
import { createSessionEpochs } from './whatsapp/session-epochs.ts';
import { createSessionHolds } from './whatsapp/session-holds.ts';
import { createMessageStatusStore } from './whatsapp/message-status-store.ts';
import { createRecentMessages } from './whatsapp/recent-messages.ts';
import { SessionManager } from './whatsapp/session-manager.ts';
import { WhatsAppSession, type SessionOptions, type SocketFactory } from './whatsapp/session.ts';
import { createStartQueue } from './whatsapp/start-queue.ts';

export type ConnectorOptions = {
  db: Client;
  authStateKey: Buffer;
  hubUrl: string;
  connectorId: string;
  connectorSecret: string;
  logger: Logger;
  makeSocket: SocketFactory;
  /** Baileys options such as waWebSocketUrl and timeouts. */
  socketConfig: SessionOptions['socketConfig'];
  baileysLogger?: Logger;
  /** Sessions opening sockets at the same time during a restore. */
  startConcurrency?: number;
  hubReconnectDelay?: (attempt: number) => number;
  sessionReconnectDelay?: (attempt: number) => number;
  /** Delay before retry number `attempt` of a device unlink that did not reach WhatsApp. */
  unlinkRetryDelay?: (attempt: number) => number;
  /** How long sent and received messages are kept for retry receipts (MESSAGE_STORE_DAYS); 7 days by default. */
  messageStoreDays?: number;
  /** Unscanned QR rounds before a session stops with QR_TIMEOUT (QR_MAX_ROUNDS). */
  qrMaxRounds?: number;
  /** How often the hub hears when WORKING sessions last heard from WhatsApp (SEEN_INTERVAL_MS). */
  seenIntervalMs?: number;
  /** Received media over this many bytes is reported with media.error TOO_LARGE (MAX_MEDIA_BYTES). */
  maxMediaBytes?: number;
  /** Delay before retry number `attempt` of a received media download. */
  mediaRetryDelay?: (attempt: number) => number;
  /** Where the connector's metrics are registered (main.ts serves it on METRICS_PORT); a private one by default. */
  registry?: Registry;
  /** The pacing of sessions the hub sends no policy for (PACING_DEFAULT); the safe defaults if absent. */
  defaultPacing?: PacingPolicy;
  /** How long a synchronous send may wait for its paced slot (PACE_BUDGET_MS). */
  paceBudgetMs?: number;
};

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export type ShutdownTimeouts = { commandsMs: number; flushMs: number };

export type RunningConnector = {
  hub: HubLink;
  sessions: SessionManager;
  /** Graceful stop: refuse commands, close WhatsApp sockets (no logout), flush the outbox, close the link. */
  shutdown(timeouts?: ShutdownTimeouts): Promise<{ outboxFlushed: boolean }>;
};

export const DEFAULT_SHUTDOWN_TIMEOUTS: ShutdownTimeouts = { commandsMs: 10_000, flushMs: 5_000 };

export function startConnector(o: ConnectorOptions): RunningConnector {
  const log = o.logger;
  const registry = o.registry ?? new Registry();
  const metrics = createConnectorMetrics(registry);
  // The stores a send writes to share commits (commit-group.ts): one fsync for the writes of a turn.
  const grouped = new CommitGroup(o.db);
  const outbox = withAckLag(createOutbox(grouped, o.authStateKey, { connectorId: o.connectorId, logger: log }), (lags) => metrics.eventsAcked(lags));
  const authStore = createAuthStore(grouped, o.authStateKey, o.connectorId);
  const statusStore = createMessageStatusStore(grouped);
  const recentMessages = createRecentMessages(grouped, o.authStateKey, { connectorId: o.connectorId, retentionMs: (o.messageStoreDays ?? 7) * DAY_MS });
  // Grouped too: concurrent enqueues (single queued posts) share a commit with each other and their events.
  const sendQueue = createSendQueue(grouped, o.authStateKey);
  const prune = () => {
    void recentMessages.prune(Date.now()).catch((err: unknown) => log.error({ err }, 'could not prune the recent-message store'));
    void sendQueue.prune(Date.now()).catch((err: unknown) => log.error({ err }, 'could not prune the outbound queue'));
  };
  prune();
  const pruning = setInterval(prune, PRUNE_EVERY_MS);
  pruning.unref();
  let hub: HubLink | null = null;
  const origin = workerOrigin(o.hubUrl);
  const mediaSource = mediaLinkSource(origin);

  const emit = (sessionId: string) => async (event: SessionEvent, id?: string) => {
    // Checked before it is stored: an event the hub would reject must not sit in the outbox forever.
    const checked = SessionEvent.safeParse(event);
    if (!checked.success) {
      log.error({ sessionId, name: event.name, issues: checked.error.issues }, 'dropping an event that does not fit the protocol');
      return;
    }
    const stored = await outbox.add(sessionId, checked.data, id ? { id } : {});
    if (stored) metrics.eventStored(sessionId, checked.data);
    hub?.notifyOutbox();
    // A message WhatsApp refused as a warning sign (restricted, rate-overlimit) pauses the session's queue.
    const warning = event.name === 'message.status' && event.error ? warningOfFailure(event.error) : null;
    if (warning) await queue.warn(sessionId, warning);
  };

  const queue: QueueRunner = new QueueRunner({
    queue: sendQueue,
    session: (sessionId) => sessions.get(sessionId),
    send: (session, item, messageId, onSent) => sendMessage(session, item, mediaSource, messageId, onSent),
    emit: (sessionId, event) => emit(sessionId)(event),
    logger: log,
    ...(o.defaultPacing ? { defaultPolicy: o.defaultPacing } : {}),
  });
  const withPolicies = (list: DesiredSession[]) => {
    for (const d of list) queue.setPolicy(d.sessionId, d.pacing);
    return list;
  };

  const mediaJobs = createMediaJobs(o.db, o.authStateKey, {
    connectorId: o.connectorId,
    onUnreadable: (sessionId, messageId) => log.error({ sessionId, messageId }, 'a media job no longer opens under AUTH_STATE_KEY; dropped'),
  });
  const media = new MediaReceiver({
    jobs: mediaJobs,
    secret: o.connectorSecret,
    origin,
    emit: (sessionId, event, id) => emit(sessionId)(event, id),
    reupload: (sessionId, message) => {
      const session = sessions.get(sessionId);
      if (!session) return Promise.reject(new Error(`session ${sessionId} is not held by this connector`));
      return session.reuploadMedia(message);
    },
    logger: log,
    ...(o.maxMediaBytes ? { maxBytes: o.maxMediaBytes } : {}),
    ...(o.mediaRetryDelay ? { retryDelay: o.mediaRetryDelay } : {}),
  });
  // Media a crashed run left half-fetched is fetched again now.
  media.kick();

  const unlinker = new DeviceUnlinker({
    authStore,
    pending: createPendingUnlinks(o.db, o.authStateKey, { connectorId: o.connectorId, logger: log }),
    makeSocket: o.makeSocket,
    socketConfig: o.socketConfig,
    logger: log,
    ...(o.baileysLogger ? { baileysLogger: o.baileysLogger } : {}),
    ...(o.unlinkRetryDelay ? { retryDelay: o.unlinkRetryDelay } : {}),
  });
  // Logouts left pending by an earlier run (WhatsApp was unreachable) are tried again now, in the background.
  void unlinker.resume().catch((err: unknown) => log.error({ err }, 'could not resume pending device unlinks'));

  const handover = createLoginHandover(o.db, o.connectorId);
  const sessions: SessionManager = new SessionManager({
    authStore,
    epochs: createSessionEpochs(o.db, o.connectorId),
    holds: createSessionHolds(o.db, o.connectorId),
    startQueue: createStartQueue(o.startConcurrency ?? 5),
    handover: {
      async adopt(sessionId) {
        const from = await handover.adopt(sessionId);
        // Media jobs came along with the login: run those due now rather than at the next message.
        if (from) media.kick();
        return from;
      },
    },
    forget: async (sessionId) => {
      await media.forget(sessionId);
      await queue.forget(sessionId);
      await statusStore.forget(sessionId);
    },
    logger: log,
    createSession: (sessionId) =>
      new WhatsAppSession({
        sessionId,
        authStore,
        unlinker,
        makeSocket: o.makeSocket,
        socketConfig: o.socketConfig,
        emit: emit(sessionId),
        statusStore,
        recentMessages,
        commits: grouped,
        media,
        logger: log,
        ...(o.baileysLogger ? { baileysLogger: o.baileysLogger } : {}),
        ...(o.sessionReconnectDelay ? { reconnectDelay: o.sessionReconnectDelay } : {}),
        ...(o.qrMaxRounds ? { qrMaxRounds: o.qrMaxRounds } : {}),
        onQrTimeout: (why) => sessions.qrTimedOut(sessionId, why),
        onClosed: (close) => metrics.socketClosed(close),
        onWarning: (warning) => queue.warn(sessionId, warning),
      }),
  });

  hub = new HubLink({
    hubUrl: o.hubUrl,
    connectorId: o.connectorId,
    secret: o.connectorSecret,
    outbox,
    logger: log,
    heldSessions: () => authStore.listSessions(),
    liveStatuses: () => sessions.statuses(),
    ...(o.hubReconnectDelay ? { reconnectDelay: o.hubReconnectDelay } : {}),
    handlers: {
      welcome: (list, removed) => sessions.applyWelcome(withPolicies(list), removed),
      desired: (list) => sessions.applyDesired(withPolicies(list)),
      remove: (ids) => sessions.remove(ids),
      command: async (command, deadline) => {
        const outcome = await runCommand(sessions, command, deadline, Date.now(), mediaSource, queue, o.paceBudgetMs);
        metrics.commandAnswered(command, outcome);
        return outcome;
      },
    },
  });
  const link = hub;
  registerScrapeGauges(registry, {
    sessions: () => sessions.statuses().map(({ sessionId, status }) => ({ status, reason: metrics.lastReason(sessionId) })),
    outbox: () => outbox.backlog(),
    mediaJobs: () => mediaJobs.count(),
    hubLinkReady: () => link.ready,
    sendQueue: () => queueGauges(sendQueue, sessions.statuses().map((held) => held.sessionId)),
  });
  const seen = startSeenReporter({
    lastSeen: () => sessions.lastSeen(),
    send: (list) => link.sendVolatile({ type: 'seen', sessions: list }),
    ...(o.seenIntervalMs ? { intervalMs: o.seenIntervalMs } : {}),
  });
  link.on('ready', () => seen.linkReady());
  const fence = new Fence({
    onFenced: (silentMs) => {
      log.error({ silentMs }, 'hub lease not renewed in time: closing every WhatsApp socket so another connector may take the sessions over');
      const why = { code: 'LEASE_LOST', message: `the connector could not renew its lease with the hub for ${silentMs} ms` } as const;
      void sessions.fence(why).catch((err: unknown) => log.error({ err }, 'fencing failed'));
      // A fresh welcome says which sessions are still ours; until then nothing runs.
      link.reconnect();
    },
  });
  link.on('renewed', ({ at, leaseMs }) => fence.renewed(at, leaseMs));
  link.start();
  queue.start();

  return {
    hub: link,
    sessions,
    async shutdown(timeouts = DEFAULT_SHUTDOWN_TIMEOUTS) {
      log.info('shutting down: refusing new commands');
      await link.stopTakingCommands(timeouts.commandsMs);
      seen.stop();
      queue.close();
      fence.stop();
      media.close();
      // Sockets close before the flush so no event can arrive after it; anything left stays in the outbox.
      await sessions.closeAll();
      clearInterval(pruning);
      await unlinker.close();
      const outboxFlushed = await link.flush(timeouts.flushMs);
      if (!outboxFlushed) log.warn('outbox not fully acked; the rest is resent after the next start');
      await link.close();
      log.info('connector stopped');
      return { outboxFlushed };
    },
  };
}
