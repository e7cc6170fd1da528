// Measures the outbox's ack lag without the hub link knowing: the pump reads each event (with the time it
// was emitted) through pending(), and the hub's ack of it comes back through ack().
import type { Outbox } from '../outbox.ts';

export function withAckLag(outbox: Outbox, observe: (lagsMs: number[]) => void, now: () => number = Date.now): Outbox {
  /** Emitted-at of the events read and not yet acked; bounded by the outbox itself. */
  const emittedAt = new Map<string, number>();
  return {
    ...outbox,
    async pending(afterSeq, limit) {
      const entries = await outbox.pending(afterSeq, limit);
      for (const entry of entries) emittedAt.set(entry.id, entry.at);
      return entries;
    },
    async ack(ids) {
      await outbox.ack(ids);
      const at = now();
      const lags: number[] = [];
      for (const id of ids) {
        const emitted = emittedAt.get(id);
        if (emitted === undefined) continue;
        emittedAt.delete(id);
        lags.push(at - emitted);
      }
      if (lags.length > 0) observe(lags);
    },
  };
}
