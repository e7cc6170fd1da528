// Helper process: the WhatsApp simulator on its own event loop (so its CPU shows up apart from the
// gateway's), with counters the bench reads over IPC: devices connected now, logins over time, messages
// stored. Started by simulator-process.ts.
import { startSimulator } from '../simulator/server.ts';
import { quietSignalLogs } from '../simulator/signal-logs.ts';
import { serve } from './ipc.ts';

quietSignalLogs();
const simulator = await startSimulator({ port: 0, autoReceipts: false });
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
  untilOnline: (n: number, timeoutMs: number) => until(() => online.size, n, timeoutMs, 'devices online'),
  untilOffline: (timeoutMs: number) => until(() => -online.size, 0, timeoutMs, 'devices still online (negated)'),
  untilStored: (n: number, timeoutMs: number) => until(() => stored, n, timeoutMs, 'messages stored'),
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
