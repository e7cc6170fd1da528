// Helper process: the reference the gateway is compared with. Plain Baileys sockets with in-memory auth
// state and nothing else, linked to the same simulator, driven over IPC: link more, send, drop, restore.
// Started by raw-baileys.ts; the simulator's URLs come in SIMULATOR_URL and SIMULATOR_WS_URL.
import { readFile } from 'node:fs/promises';
import type { AuthenticationState } from '@whiskeysockets/baileys';
import { quietSignalLogs } from '../simulator/signal-logs.ts';
import { connectClient, type TestClient } from '../simulator/test-client.ts';
import { serve } from './ipc.ts';
import { runPool } from './pool.ts';

quietSignalLogs();
const simulatorUrl = process.env.SIMULATOR_URL!;
const wsUrl = process.env.SIMULATOR_WS_URL!;
const states: AuthenticationState[] = [];
let clients: TestClient[] = [];

async function scan(qr: string, phone: string): Promise<void> {
  const response = await fetch(`${simulatorUrl}/control/scan`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ qr, phone }),
  });
  if (!response.ok) throw new Error(`scan failed: ${response.status} ${await response.text()}`);
}

const LINK_TIMEOUT_MS = 60_000;

/** Rejects after `ms` so a pairing that stalls fails the run instead of hanging it. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** QR, scan, the 515 restart, login: what linking a companion device takes. */
function linkOne(phone: string): Promise<TestClient> {
  return within(LINK_TIMEOUT_MS, `linking ${phone}`, link(phone));
}

async function link(phone: string): Promise<TestClient> {
  const pairing = connectClient(wsUrl);
  const { qr } = await pairing.connection((update) => !!update.qr);
  await scan(qr!, phone);
  await pairing.closed();
  const client = connectClient(wsUrl, { state: pairing.state });
  await client.connection((update) => update.connection === 'open');
  states.push(pairing.state);
  return client;
}

/** When each incoming message was handed to the application (messages.upsert), by id: epoch ms. */
const arrivals = new Map<string, number>();
const arrivalWaiters = new Set<() => void>();
const watched = new WeakSet<TestClient>();

function watchIncoming(client: TestClient): void {
  if (watched.has(client)) return;
  watched.add(client);
  client.sock.ev.on('messages.upsert', ({ messages }) => {
    const at = Date.now();
    for (const msg of messages) if (!msg.key.fromMe && msg.key.id && !arrivals.has(msg.key.id)) arrivals.set(msg.key.id, at);
    for (const wake of arrivalWaiters) wake();
  });
}

/** Resolves with each id's arrival time once all have arrived; rejects after `timeoutMs`. */
function untilReceived(ids: string[], timeoutMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!ids.every((id) => arrivals.has(id))) return;
      done();
      resolve(ids.map((id) => arrivals.get(id)!));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${ids.filter((id) => arrivals.has(id)).length} of ${ids.length} messages received after ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      arrivalWaiters.delete(check);
    };
    arrivalWaiters.add(check);
    check();
  });
}

function open(index: number): TestClient {
  const client = clients[index];
  if (!client) throw new Error(`no session ${index}`);
  return client;
}

serve({
  /** Links sessions until `total` are held; phones are `${phonePrefix}${index}`. */
  linkUpTo: async (total: number, phonePrefix: string, concurrency: number) => {
    const indexes = Array.from({ length: Math.max(0, total - clients.length) }, (_, i) => clients.length + i);
    const linked = await runPool(indexes, concurrency, (i) => linkOne(`${phonePrefix}${String(i).padStart(5, '0')}`));
    clients.push(...linked);
    return clients.length;
  },
  /** Sequential sends from session 0, one at a time: each latency in ms. */
  sendLatencies: async (count: number, to: string) => {
    const sock = open(0).sock;
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await sock.sendMessage(`${to}@s.whatsapp.net`, { text: `reference ${i}` });
      latencies.push(performance.now() - start);
    }
    return latencies;
  },
  /** `total` sends spread round-robin over the first `sessions`, `concurrency` in flight; ms until all resolved. */
  sendBurst: async (sessions: number, total: number, concurrency: number, to: string) => {
    const start = performance.now();
    await runPool(Array.from({ length: total }, (_, i) => i), concurrency, (i) =>
      open(i % sessions).sock.sendMessage(`${to}@s.whatsapp.net`, { text: `burst ${i}` }),
    );
    return performance.now() - start;
  },
  /** Session 0 creates a group with `phones`; its id. */
  createGroup: async (subject: string, phones: string[]) => {
    const group = await open(0).sock.groupCreate(subject, phones.map((phone) => `${phone}@s.whatsapp.net`));
    return group.id;
  },
  /** Session 0 sends `text` to group `groupId`; the message id, once Baileys resolved the send. */
  sendGroupText: async (groupId: string, text: string) => {
    const sent = await open(0).sock.sendMessage(groupId, { text });
    return sent!.key.id!;
  },
  /** Session 0 sends the image in file `path` to `to` `count` times, `concurrency` in flight; the message ids. */
  sendImages: async (to: string, path: string, count: number, concurrency: number) => {
    const image = await readFile(path);
    const sock = open(0).sock;
    return runPool(Array.from({ length: count }, (_, i) => i), concurrency, async () => {
      const sent = await sock.sendMessage(`${to}@s.whatsapp.net`, { image, mimetype: 'image/jpeg' });
      return sent!.key.id!;
    });
  },
  /** Records from now on when every held socket hands an incoming message to the application. */
  watchIncoming: () => clients.forEach(watchIncoming),
  /** Once every id in `ids` was received by some socket: the epoch ms each arrived at. */
  untilReceived,
  /** Closes every socket without logging out (the logins stay linked). */
  endAll: () => {
    for (const client of clients) client.end();
    clients = [];
  },
  /** Opens a socket for every stored login, `concurrency` handshakes at a time; ms until all are open. */
  reconnectAll: async (concurrency: number) => {
    const start = performance.now();
    clients = await runPool(states, concurrency, async (state) => {
      const client = connectClient(wsUrl, { state });
      await within(LINK_TIMEOUT_MS, 'reconnecting', client.connection((update) => update.connection === 'open'));
      return client;
    });
    return performance.now() - start;
  },
});
