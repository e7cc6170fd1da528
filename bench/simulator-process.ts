// The simulator as a helper process (see simulator-child.ts) and a typed face for it.
import { startHelper } from './ipc.ts';

export type SimulatorProcess = {
  url: string;
  wsUrl: string;
  pid: number;
  scan(qr: string, phone: string): Promise<{ jid: string }>;
  online(): Promise<number>;
  stored(): Promise<number>;
  /** History chunks the gateway phones pushed (BENCH_HISTORY_CHATS). */
  historyPushed(): Promise<number>;
  untilOnline(n: number, timeoutMs: number): Promise<number>;
  untilOffline(timeoutMs: number): Promise<number>;
  untilStored(n: number, timeoutMs: number): Promise<number>;
  /** Once `n` copies of message `id` are stored (one per member device of a group): how many, and their media's SHA-256. */
  untilCopies(id: string, n: number, timeoutMs: number): Promise<{ count: number; sha256: string[] }>;
  /** Contact `from` sends phone `to` a document of `bytes` random bytes; its id and the bytes' SHA-256 (hex). */
  contactSendDocument(from: string, to: string, bytes: number): Promise<{ id: string; sha256: string }>;
  /** Contacts send texts in the order of `plan`, `perSecond` a second (0: as fast as they can); each id and send time (epoch ms). */
  contactBurst(plan: { from: string; to: string }[], perSecond: number): Promise<{ id: string; to: string; sentAt: number }[]>;
  loginsSince(fromMs: number): Promise<{ count: number; peakPerSecond: number }>;
  close(): Promise<void>;
};

export async function startSimulatorProcess(env: Record<string, string> = {}): Promise<SimulatorProcess> {
  const helper = await startHelper(new URL('./simulator-child.ts', import.meta.url).pathname, [], env);
  const { url, wsUrl } = await helper.call<{ url: string; wsUrl: string }>('info');
  return {
    url,
    wsUrl,
    pid: helper.child.pid!,
    scan: (qr, phone) => helper.call('scan', qr, phone),
    online: () => helper.call('online'),
    stored: () => helper.call('stored'),
    historyPushed: () => helper.call('historyPushed'),
    untilOnline: (n, timeoutMs) => helper.call('untilOnline', n, timeoutMs),
    untilOffline: (timeoutMs) => helper.call('untilOffline', timeoutMs),
    untilStored: (n, timeoutMs) => helper.call('untilStored', n, timeoutMs),
    untilCopies: (id, n, timeoutMs) => helper.call('untilCopies', id, n, timeoutMs),
    contactSendDocument: (from, to, bytes) => helper.call('contactSendDocument', from, to, bytes),
    contactBurst: (plan, perSecond) => helper.call('contactBurst', plan, perSecond),
    loginsSince: (fromMs) => helper.call('loginsSince', fromMs),
    close: () => helper.stop(),
  };
}
