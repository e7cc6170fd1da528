// Reads the Tail Worker's invocation counts (index.ts) from the bench side: a snapshot before and after a
// piece of work, and the difference by "<entrypoint> <kind>" and by entrypoint alone.
import { get } from 'node:http';
import { join } from 'node:path';

export const DO_TAIL_HOST = 'do-tail.bench.local';
export const DO_TAIL_NAME = 'kabar-bench-do-tail';
export const DO_TAIL_CONFIG = join(import.meta.dirname, 'wrangler.toml');

export type Invocations = { counts: Record<string, number>; objects: Record<string, number> };

/** node:http, because fetch will not send a Host header of our choosing (the counter is picked by host). */
export function readInvocations(workerUrl: string): Promise<Invocations> {
  return new Promise((resolve, reject) => {
    get(workerUrl, { headers: { host: DO_TAIL_HOST } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`invocation counter: ${res.statusCode} ${body.slice(0, 200)}`));
        else resolve(JSON.parse(body) as Invocations);
      });
    }).on('error', reject);
  });
}

/** after - before, keeping only what changed. */
export function countsSince(before: Invocations, after: Invocations): Record<string, number> {
  const changed: Record<string, number> = {};
  for (const [key, count] of Object.entries(after.counts)) {
    const delta = count - (before.counts[key] ?? 0);
    if (delta !== 0) changed[key] = delta;
  }
  return changed;
}

/** Sums "<entrypoint> <kind>" counts by entrypoint: Hub, KeyGate, worker. */
export function byEntrypoint(counts: Record<string, number>): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const [key, count] of Object.entries(counts)) {
    const entrypoint = key.split(' ')[0]!;
    sums[entrypoint] = (sums[entrypoint] ?? 0) + count;
  }
  return sums;
}
