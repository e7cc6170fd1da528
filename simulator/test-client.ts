// Test support: a real, unmodified Baileys socket pointed at the simulator with in-memory auth
// state, and promise helpers that wait on Baileys events instead of sleeping.
import makeWASocket, { initAuthCreds } from '@whiskeysockets/baileys';
import type {
  AuthenticationState,
  BaileysEventMap,
  ConnectionState,
  SignalDataSet,
  SignalDataTypeMap,
  SignalKeyStore,
  WASocket,
} from '@whiskeysockets/baileys';
import { Agent } from 'node:https';
import { pino } from 'pino';
import { MEDIA_TEST_CA } from './media-tls.ts';
import type { Simulator } from './server.ts';
import { trustSimulatorRoot } from './test-root.ts';

/** Auth state kept in memory; reuse it for the socket after the 515 restart or a drop. */
export function memoryAuthState(): AuthenticationState {
  const data = new Map<string, unknown>();
  const keys: SignalKeyStore = {
    get: <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
      const found: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const value = data.get(`${type}/${id}`);
        if (value !== undefined) found[id] = value as SignalDataTypeMap[T];
      }
      return found;
    },
    set: (set: SignalDataSet) => {
      for (const [type, entries] of Object.entries(set)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value === null || value === undefined) data.delete(`${type}/${id}`);
          else data.set(`${type}/${id}`, value);
        }
      }
    },
  };
  return { creds: initAuthCreds(), keys };
}

export type ClientOptions = {
  state?: AuthenticationState;
  qrTimeout?: number;
  keepAliveIntervalMs?: number;
};

export type TestClient = {
  sock: WASocket;
  state: AuthenticationState;
  /** Resolves with the first connection.update (past or future) matching the predicate. */
  connection(predicate: (update: Partial<ConnectionState>) => boolean): Promise<Partial<ConnectionState>>;
  /** Resolves with the next event of that name matching the predicate. */
  next<E extends keyof BaileysEventMap>(event: E, predicate?: (data: BaileysEventMap[E]) => boolean): Promise<BaileysEventMap[E]>;
  /** Resolves with the close update (the DisconnectReason is its statusCode). */
  closed(): Promise<{ statusCode: number | undefined }>;
  end(): void;
};

/**
 * The socket options a gateway uses against the simulator. History sync RECENT/FULL is off so the
 * first login after pairing does not wait 20 s for history that never comes. Media uploads go through
 * `fetchAgent`, which trusts the simulator's media host (and nothing else).
 */
export function simulatorSocketOptions(wsUrl: string, state: AuthenticationState) {
  return {
    waWebSocketUrl: wsUrl,
    auth: state,
    logger: pino({ level: 'silent' }),
    shouldSyncHistoryMessage: ({ syncType }: { syncType?: number | null }) => syncType !== 3 && syncType !== 2,
    defaultQueryTimeoutMs: 5_000,
    connectTimeoutMs: 5_000,
    markOnlineOnConnect: false,
    fetchAgent: new Agent({ ca: MEDIA_TEST_CA }),
  };
}

export function connectClient(wsUrl: string, options: ClientOptions = {}): TestClient {
  trustSimulatorRoot();
  const state = options.state ?? memoryAuthState();
  const sock = makeWASocket({
    ...simulatorSocketOptions(wsUrl, state),
    ...(options.qrTimeout ? { qrTimeout: options.qrTimeout } : {}),
    ...(options.keepAliveIntervalMs ? { keepAliveIntervalMs: options.keepAliveIntervalMs } : {}),
  } as Parameters<typeof makeWASocket>[0]);
  const updates: Partial<ConnectionState>[] = [];
  const waiters = new Set<(update: Partial<ConnectionState>) => void>();
  sock.ev.on('connection.update', (update) => {
    updates.push(update);
    for (const waiter of [...waiters]) waiter(update);
  });
  sock.ev.on('creds.update', (update) => Object.assign(state.creds, update));
  const connection = (predicate: (update: Partial<ConnectionState>) => boolean) => {
    const seen = updates.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<Partial<ConnectionState>>((resolve) => {
      const waiter = (update: Partial<ConnectionState>) => {
        if (!predicate(update)) return;
        waiters.delete(waiter);
        resolve(update);
      };
      waiters.add(waiter);
    });
  };
  return {
    sock,
    state,
    connection,
    next: (event, predicate = () => true) =>
      new Promise((resolve) => {
        const listener = (data: BaileysEventMap[typeof event]) => {
          if (!predicate(data)) return;
          sock.ev.off(event, listener);
          resolve(data);
        };
        sock.ev.on(event, listener);
      }),
    closed: async () => {
      const update = await connection((u) => u.connection === 'close');
      const error = update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined;
      return { statusCode: error?.output?.statusCode };
    },
    end: () => sock.end(undefined),
  };
}

/**
 * Pairs a new Baileys device as `phone`: shows a QR, the phone scans it, Baileys restarts (515) and
 * a second socket with the same auth state logs in. Returns that open client; `track` receives
 * every socket made so the caller can end them.
 */
export async function linkClient(
  simulator: Simulator,
  phone: string,
  track: (client: TestClient) => void,
  options: Omit<ClientOptions, 'state'> = {},
): Promise<TestClient> {
  const pairing = connectClient(simulator.wsUrl, options);
  track(pairing);
  const { qr } = await pairing.connection((update) => !!update.qr);
  await simulator.scan(qr!, phone);
  await pairing.closed();
  const client = connectClient(simulator.wsUrl, { ...options, state: pairing.state });
  track(client);
  await client.connection((update) => update.connection === 'open');
  return client;
}
