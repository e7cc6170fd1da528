// V8 returns a Buffer's memory only when its garbage collector runs, and it paces collections by the JS heap,
// not by the memory Buffers hold outside it. A 100 MiB transfer moves thousands of 64 KiB chunks (socket
// reads, cipher output, file reads) with almost no JS allocation, so dead chunks piled up until V8's
// external-memory limit (64 MiB) forced a full collection: --trace-gc showed one about every 64 MiB, and the
// connector's RSS rose by 54 MB sending a 100 MiB document. The chunks die young, so a scavenge (a minor
// collection, about a millisecond on our heap) every MiB moved frees them while they are few; it also made
// the transfer faster, since malloc hands the same warm memory back.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export type Pacer = (bytes: number) => void;

const MiB = 1024 * 1024;

/** Calls `collect` each time another `everyBytes` have been reported. */
export function scavengePacer(collect: () => void, everyBytes = MiB): Pacer {
  let moved = 0;
  return (bytes) => {
    moved += bytes;
    if (moved < everyBytes) return;
    moved = 0;
    collect();
  };
}

type Gc = (options: { type: 'minor' | 'major'; execution?: 'sync' }) => void;

/** V8's gc(), without starting node with --expose-gc: the flag exposes it to contexts made afterwards. */
function minorGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as Gc;
  return () => gc({ type: 'minor' });
}

/** One pacer for the process: the heap, and so the count of bytes since the last scavenge, is shared. */
export const paceMediaBytes: Pacer = scavengePacer(minorGc());
