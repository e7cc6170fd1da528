// Helper process: the WhatsApp simulator on its own event loop (so its CPU shows up apart from the
// gateway's), with counters the bench reads over IPC: devices connected now, logins over time, messages
// stored. Started by simulator-process.ts.
//   BENCH_HISTORY_CHATS=n   phones push history after pairing, as WhatsApp does (historyAfterPairing), and
//                           gateway phones (GATEWAY_PHONES) also an initial bootstrap and a RECENT chunk of n
//                           chats with 20 texts each at the device's first login
import { createHash, randomBytes } from 'node:crypto';
import { startSimulator } from '../simulator/server.ts';
import { quietSignalLogs } from '../simulator/signal-logs.ts';
import { serve } from './ipc.ts';
import { GATEWAY_PHONES } from './phones.ts';

quietSignalLogs();
const historyChats = Number(process.env.BENCH_HISTORY_CHATS ?? 0);
const simulator = await startSimulator({ port: 0, autoReceipts: false, historyAfterPairing: historyChats > 0 });
/** History chunks pushed, to show a history figure measured what it claims. */
let historyPushed = 0;
if (historyChats > 0) {
  const fresh = new Set<string>();
  simulator.events.on('device-linked', ({ phone, device }) => fresh.add(`${phone}:${device}`));
  simulator.events.on('device-connected', ({ phone, device }) => {
    if (!fresh.delete(`${phone}:${device}`) || !phone.startsWith(GATEWAY_PHONES)) return;
    const chats = Array.from({ length: historyChats }, (_, i) => ({
      contact: `6287${phone.slice(-5)}${String(i).padStart(3, '0')}`,
      texts: Array.from({ length: 20 }, (_, j) => `history message ${j} of chat ${i}, about as long as a chat line usually is`),
    }));
    void (async () => {
      await simulator.pushHistory(phone, chats, 'INITIAL_BOOTSTRAP');
      await simulator.pushHistory(phone, chats, 'RECENT');
      historyPushed += 2;
    })();
  });
}
const online = new Set<string>();
/** Login times (ms since epoch), to see whether a restore arrives as a stampede. */
const logins: number[] = [];
let stored = 0;
simulator.events.on('device-connected', ({ phone, device }) => {
  online.add(`${phone}:${device}`);
  logins.push(Date.now());
});
simulator.events.on('device-disconnected', ({ phone, device }) => online.delete(`${phone}:${device}`));
simulator.events.on('message-stored', () => stored++);

/**
 * Per message id: how many copies members stored (a group message is stored once per member device) and the
 * SHA-256 of the media each found, so a send is timed until its last copy and checked byte-exact.
 */
const copies = new Map<string, { count: number; sha256: string[] }>();
const copyWaiters = new Map<string, () => void>();
simulator.events.on('message-stored', (message) => {
  const entry = copies.get(message.id) ?? { count: 0, sha256: [] };
  entry.count++;
  if (message.media?.sha256) entry.sha256.push(message.media.sha256);
  copies.set(message.id, entry);
  copyWaiters.get(message.id)?.();
});

/** Resolves once `n` copies of message `id` are stored (event-driven: its latency is the send's). */
function untilCopies(id: string, n: number, timeoutMs: number): Promise<{ count: number; sha256: string[] }> {
  return new Promise((resolve, reject) => {
    const done = () => {
      const entry = copies.get(id);
      if (!entry || entry.count < n) return false;
      copyWaiters.delete(id);
      resolve(entry);
      return true;
    };
    if (done()) return;
    const timer = setTimeout(() => {
      copyWaiters.delete(id);
      reject(new Error(`message ${id}: ${copies.get(id)?.count ?? 0} of ${n} copies stored after ${timeoutMs} ms`));
    }, timeoutMs);
    copyWaiters.set(id, () => done() && clearTimeout(timer));
  });
}

/** Polls `value` until it reaches `target`; resolves with the ms it took, rejects after `timeoutMs`. */
function until(value: () => number, target: number, timeoutMs: number, what: string): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (value() >= target) return resolve(performance.now() - start);
      if (performance.now() - start > timeoutMs) return reject(new Error(`${what}: ${value()} of ${target} after ${timeoutMs} ms`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

serve({
  info: () => ({ url: simulator.url, wsUrl: simulator.wsUrl }),
  scan: (qr: string, phone: string) => simulator.scan(qr, phone),
  online: () => online.size,
  stored: () => stored,
  historyPushed: () => historyPushed,
  untilOnline: (n: number, timeoutMs: number) => until(() => online.size, n, timeoutMs, 'devices online'),
  untilOffline: (timeoutMs: number) => until(() => -online.size, 0, timeoutMs, 'devices still online (negated)'),
  untilStored: (n: number, timeoutMs: number) => until(() => stored, n, timeoutMs, 'messages stored'),
  untilCopies,
  /** Contact `from` sends phone `to` a document of `bytes` random bytes, made here so they never cross IPC. */
  contactSendDocument: async (from: string, to: string, bytes: number) => {
    // A PDF header, so whoever checks the type against the bytes finds what the mimetype says.
    const data = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(bytes - 9)]);
    const { id } = await simulator.contactSendMedia(from, to, { type: 'document', data, mimetype: 'application/pdf', filename: 'bench.pdf' });
    return { id, sha256: createHash('sha256').update(data).digest('hex') };
  },
  /**
   * Contacts send texts, in the order given, `perSecond` a second (0: each as soon as the one before is out):
   * each message's id and when it left the contact (ms since epoch), to time its way to whoever receives it.
   */
  contactBurst: async (plan: { from: string; to: string }[], perSecond: number) => {
    const sent: { id: string; to: string; sentAt: number }[] = [];
    const start = performance.now();
    for (const [i, { from, to }] of plan.entries()) {
      const due = start + (perSecond > 0 ? (i * 1_000) / perSecond : 0);
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const sentAt = Date.now();
      const { id } = await simulator.contactSend(from, to, `burst message ${i}, about as long as a customer's answer usually is`);
      sent.push({ id, to, sentAt });
    }
    return sent;
  },
  /** Logins since `fromMs`: how many, and the most in any one second (the stampede measure). */
  loginsSince: (fromMs: number) => {
    const times = logins.filter((t) => t >= fromMs);
    let peak = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1_000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    return { count: times.length, peakPerSecond: peak };
  },
});
