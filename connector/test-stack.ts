// A whole in-process connector (real Baileys) attached to the loopback test hub, for tests against the
// WhatsApp simulator; plus waiting on the events the hub receives from it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeWASocket } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { Command, ConnectorFrame, DesiredSession, OutgoingMessage, PairingCodeResult, SendMessageResult, SendTextResult, SessionEvent } from '../shared/protocol.ts';
import { DEFAULT_PACING, type PacingPolicy } from '../shared/pacing.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../simulator/server.ts';
import { quietSignalLogs } from '../simulator/signal-logs.ts';
import { trustSimulatorRoot } from '../simulator/test-root.ts';
import { startConnector, type ConnectorOptions, type RunningConnector } from './app.ts';
import { openConnectorDb, type Client } from './db.ts';
import { signMediaLink, type MediaLinkMethod } from '../shared/media-link.ts';
import { mediaEndpoint, type MediaEndpoint } from './media/test-media-endpoint.ts';
import { startTestHub, type TestHub } from './test-hub.ts';
import { ensureCurveVerify } from './whatsapp/curve-verify.ts';
import { trustMediaHostCa } from './whatsapp/media-host-trust.ts';
import { MEDIA_TEST_CA } from '../simulator/media-tls.ts';

type EventFrame = Extract<ConnectorFrame, { type: 'event' }>;

export const SECRET = 'simulator-test-secret-0123456789';
export const KEY = Buffer.alloc(32, 42);
/** The connector id of every stack unless a test names another. */
export const CONNECTOR_ID = 'sim-edge';
export const silent = pino({ level: 'silent' });
export const WAIT_MS = 20_000;
export const UNPACED: PacingPolicy = { ...DEFAULT_PACING, enabled: false };

export type Stack = {
  hub: TestHub;
  connector: RunningConnector;
  db: Client;
  /** The Worker's media links, answered on the hub's origin. */
  media: MediaEndpoint & { origin: string; link(method: MediaLinkMethod, sessionId: string, mediaId: string): Promise<string> };
  close: () => Promise<void>;
};

/**
 * What every connector test file against the simulator needs around it: Baileys trusting the simulator's
 * certificate root and media host CA, libsignal's console noise muted, a simulator and a scratch folder for stores. Registers
 * the hooks; `ready` receives them once the simulator listens.
 */
export function useSimulatorWorld(
  prefix: string,
  ready: (world: { simulator: Simulator; dir: string }) => void,
  options: Omit<SimulatorOptions, 'port' | 'host'> = {},
): void {
  let simulator: Simulator | undefined;
  let dir: string | undefined;
  let restoreConsole = () => {};
  let restoreRoot = () => {};
  let restoreCa = () => {};
  beforeAll(async () => {
    restoreConsole = quietSignalLogs();
    ensureCurveVerify();
    restoreRoot = trustSimulatorRoot();
    restoreCa = trustMediaHostCa(MEDIA_TEST_CA);
    dir = mkdtempSync(join(tmpdir(), prefix));
    simulator = await startSimulator({ ...options, port: 0 });
    ready({ simulator, dir });
  });
  afterAll(async () => {
    await simulator?.close();
    restoreRoot();
    restoreCa();
    restoreConsole();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

/** What a test may change of a stack's connector and hub. */
export type StackOverrides = Partial<Pick<ConnectorOptions, 'makeSocket' | 'unlinkRetryDelay' | 'connectorId' | 'qrMaxRounds' | 'socketConfig' | 'seenIntervalMs' | 'mediaRetryDelay' | 'maxMediaBytes' | 'defaultPacing' | 'paceBudgetMs'>> & {
  /** Wraps the connector's store, e.g. to make one write fail. */
  wrapDb?: (db: Client) => Client;
  /** The lease the hub's welcome announces. */
  leaseMs?: number;
};

/**
 * The set-up of a test file that runs one stack against the simulator the whole file long: the simulator's
 * world, then a stack on a store in its scratch folder, closed after the file. Registers the hooks; `ready`
 * receives them once the stack's connector has applied the hub's welcome.
 */
export function useConnectorStack(
  prefix: string,
  ready: (world: { simulator: Simulator; dir: string; stack: Stack }) => void,
  options: {
    /** The simulator's own options, e.g. how its contacts receipt. */
    simulator?: Omit<SimulatorOptions, 'port' | 'host'>;
    /** The store's file name in the scratch folder. */
    store?: string;
    /** The sessions the hub's welcome lists. */
    sessions?: DesiredSession[];
    overrides?: StackOverrides;
    /** Runs once the hub listens and before the connector dials it. */
    beforeConnect?: (hub: TestHub) => void;
  } = {},
): void {
  let world: { simulator: Simulator; dir: string } | undefined;
  let stack: Stack | undefined;
  useSimulatorWorld(prefix, (started) => (world = started), options.simulator);
  beforeAll(async () => {
    if (!world) throw new Error('the simulator world did not start');
    const { simulator, dir } = world;
    stack = await startStack(simulator.wsUrl, join(dir, options.store ?? 'main.db'), options.sessions, options.overrides, options.beforeConnect);
    ready({ simulator, dir, stack });
  });
  afterAll(async () => {
    await stack?.close();
  });
}

/** Starts a hub welcoming `sessions` and a connector on the store at `dbPath`; resolves once the welcome is applied. */
export async function startStack(
  waWsUrl: string,
  dbPath: string,
  sessions: DesiredSession[] = [],
  overrides: StackOverrides = {},
  /** Runs once the hub listens and before the connector dials it, e.g. to catch its hello. */
  beforeConnect: (hub: TestHub) => void = () => {},
): Promise<Stack> {
  const media = mediaEndpoint(SECRET);
  const hub = await startTestHub({ secret: SECRET, autoAck: true, heartbeatMs: 5_000, sessions, http: media.handle, ...(overrides.leaseMs ? { leaseMs: overrides.leaseMs } : {}) });
  beforeConnect(hub);
  const db = await openConnectorDb(`file:${dbPath}`);
  const { wrapDb = (store: Client) => store, socketConfig = {}, leaseMs: _leaseMs, ...connectorOverrides } = overrides;
  const connector = startConnector({
    db: wrapDb(db),
    authStateKey: KEY,
    hubUrl: hub.url,
    connectorId: CONNECTOR_ID,
    connectorSecret: SECRET,
    logger: silent,
    baileysLogger: silent,
    makeSocket: makeWASocket,
    hubReconnectDelay: () => 50,
    sessionReconnectDelay: () => 50,
    // Unpaced unless a test is about pacing: the others send several messages in a row on purpose.
    defaultPacing: UNPACED,
    ...connectorOverrides,
    socketConfig: { waWebSocketUrl: waWsUrl, defaultQueryTimeoutMs: 5_000, connectTimeoutMs: 5_000, ...socketConfig },
  });
  await new Promise<void>((resolve) => connector.hub.once('ready', () => resolve()));
  const origin = hub.url.replace(/^ws:/, 'http:');
  return {
    hub,
    connector,
    db,
    media: { ...media, origin, link: (method, sessionId, mediaId) => signMediaLink(SECRET, origin, method, sessionId, mediaId, Date.now() + 60_000) },
    close: async () => {
      await connector.shutdown({ commandsMs: 1_000, flushMs: 1_000 });
      db.close();
      await hub.close();
    },
  };
}

/** The first event the hub received (from index `from` on) for which `match` holds; waits for it if needed. */
export function hubEvent<N extends SessionEvent['name']>(
  hub: TestHub,
  sessionId: string,
  name: N,
  match: (event: Extract<SessionEvent, { name: N }>) => boolean = () => true,
  from = 0,
): Promise<Extract<SessionEvent, { name: N }>> {
  const test = (frame: EventFrame) =>
    frame.sessionId === sessionId && frame.event.name === name && match(frame.event as Extract<SessionEvent, { name: N }>);
  const seen = hub.received.slice(from).find(test);
  if (seen) return Promise.resolve(seen.event as Extract<SessionEvent, { name: N }>);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      hub.events.off('event', listener);
      reject(new Error(`no ${name} event for ${sessionId} within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const listener = (frame: EventFrame) => {
      if (!test(frame)) return;
      clearTimeout(timer);
      hub.events.off('event', listener);
      resolve(frame.event as Extract<SessionEvent, { name: N }>);
    };
    hub.events.on('event', listener);
  });
}

/** Every event the hub received about one session, in order. */
export function sessionEvents(hub: TestHub, sessionId: string): SessionEvent[] {
  return hub.received.filter((f) => f.sessionId === sessionId).map((f) => f.event);
}

type ResultFrame = Extract<ConnectorFrame, { type: 'result' }>;
/** A command's result whose data, when ok, is that command's own. */
export type ResultOf<D> = Exclude<ResultFrame, { ok: true }> | (Extract<ResultFrame, { ok: true }> & { data: D });

/** Sends a send.text command as the hub would and resolves with the connector's result. */
export function sendText(hub: TestHub, sessionId: string, to: string, text: string): Promise<ResultOf<SendTextResult>> {
  return command(hub, { name: 'send.text', sessionId, to, text }) as Promise<ResultOf<SendTextResult>>;
}

/** Sends a send.message command as the hub would and resolves with the connector's result. */
export function sendMessage(hub: TestHub, sessionId: string, to: string, message: OutgoingMessage): Promise<ResultOf<SendMessageResult>> {
  return command(hub, { name: 'send.message', sessionId, to, message }) as Promise<ResultOf<SendMessageResult>>;
}

/** Sends a session.pair command as the hub would and resolves with the connector's result. */
export function requestPairingCode(hub: TestHub, sessionId: string, phone: string): Promise<ResultOf<PairingCodeResult>> {
  return command(hub, { name: 'session.pair', sessionId, phone }) as Promise<ResultOf<PairingCodeResult>>;
}

/** Sends any command as the hub would and resolves with the connector's result. */
export function command(hub: TestHub, command: Command): Promise<ResultFrame> {
  const id = `cmd-${Math.random().toString(36).slice(2)}`;
  const result = new Promise<Extract<ConnectorFrame, { type: 'result' }>>((resolve) => {
    const listener = (frame: Extract<ConnectorFrame, { type: 'result' }>) => {
      if (frame.id !== id) return;
      hub.events.off('result', listener);
      resolve(frame);
    };
    hub.events.on('result', listener);
  });
  hub.send({ type: 'command', id, deadline: Date.now() + 30_000, command });
  return result;
}

export function desire(hub: TestHub, sessions: DesiredSession[]): void {
  hub.send({ type: 'desired', sessions });
}

/** Starts a session, scans its QR from `phone` and waits until it is WORKING. */
export async function pair(stack: Stack, simulator: Simulator, sessionId: string, phone: string): Promise<void> {
  desire(stack.hub, [{ sessionId, state: 'running', authEpoch: 0 }]);
  const { qr } = await hubEvent(stack.hub, sessionId, 'qr');
  await simulator.scan(qr, phone);
  await hubEvent(stack.hub, sessionId, 'connection.update', (e) => e.status === 'WORKING');
}
