// The raw-Baileys reference (raw-baileys-child.ts) as a helper process, with a typed face.
import { startHelper } from './ipc.ts';
import { MEASURED_EXEC_ARGV } from './process-memory.ts';
import type { SimulatorProcess } from './simulator-process.ts';

export type RawBaileys = {
  pid: number;
  linkUpTo(total: number, phonePrefix: string, concurrency?: number): Promise<number>;
  sendLatencies(count: number, to: string): Promise<number[]>;
  sendBurst(sessions: number, total: number, concurrency: number, to: string): Promise<number>;
  createGroup(subject: string, phones: string[]): Promise<string>;
  sendGroupText(groupId: string, text: string): Promise<string>;
  sendImages(to: string, path: string, count: number, concurrency: number): Promise<string[]>;
  /** From now on, record when each socket hands an incoming message to the application. */
  watchIncoming(): Promise<void>;
  /** Once all `ids` were received: when each arrived (epoch ms), in the order of `ids`. */
  untilReceived(ids: string[], timeoutMs: number): Promise<number[]>;
  endAll(): Promise<void>;
  reconnectAll(concurrency: number): Promise<number>;
  close(): Promise<void>;
};

export async function startRawBaileys(simulator: SimulatorProcess): Promise<RawBaileys> {
  const helper = await startHelper(new URL('./raw-baileys-child.ts', import.meta.url).pathname, MEASURED_EXEC_ARGV, {
    SIMULATOR_URL: simulator.url,
    SIMULATOR_WS_URL: simulator.wsUrl,
  });
  return {
    pid: helper.child.pid!,
    linkUpTo: (total, phonePrefix, concurrency = 10) => helper.call('linkUpTo', total, phonePrefix, concurrency),
    sendLatencies: (count, to) => helper.call('sendLatencies', count, to),
    sendBurst: (sessions, total, concurrency, to) => helper.call('sendBurst', sessions, total, concurrency, to),
    createGroup: (subject, phones) => helper.call('createGroup', subject, phones),
    sendGroupText: (groupId, text) => helper.call('sendGroupText', groupId, text),
    sendImages: (to, path, count, concurrency) => helper.call('sendImages', to, path, count, concurrency),
    watchIncoming: () => helper.call('watchIncoming'),
    untilReceived: (ids, timeoutMs) => helper.call('untilReceived', ids, timeoutMs),
    endAll: () => helper.call('endAll'),
    reconnectAll: (concurrency) => helper.call('reconnectAll', concurrency),
    close: () => helper.stop(),
  };
}
