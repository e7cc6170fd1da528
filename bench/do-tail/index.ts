// The invocation counter: workerd sends this Tail Worker one trace per invocation of the gateway's worker
// and of its Durable Objects, and GET / answers the counts so far, keyed "<entrypoint> <kind>" (entrypoint is
// the Durable Object class, or "worker" for the Worker's own handlers). Counting here, outside the gateway,
// keeps counters out of production code. The counts live in this isolate's memory: a local workerd runs one
// isolate per worker, and a bench reads them before and after a run and takes the difference.

/** The fields of workerd's TraceItem read here (the root tsconfig has no Workers types). */
type Trace = {
  entrypoint?: string;
  durableObjectId?: string;
  executionModel?: string;
  event: Record<string, unknown> | null;
};

const counts: Record<string, number> = {};
const objects = new Map<string, Set<string>>();

/** What started the invocation: a request, an RPC method, a socket message, an alarm, a queue batch. */
function kindOf(event: Trace['event']): string {
  if (!event) return 'unknown';
  if ('rpcMethod' in event) return `rpc:${String(event.rpcMethod)}`;
  if ('request' in event) return 'fetch';
  if ('getWebSocketEvent' in event) {
    const socket = event.getWebSocketEvent as { webSocketEventType?: string } | undefined;
    return `websocket:${socket?.webSocketEventType ?? 'unknown'}`;
  }
  if ('queue' in event) return 'queue';
  if ('cron' in event) return 'scheduled';
  if ('scheduledTime' in event) return 'alarm';
  return Object.keys(event).join('+') || 'unknown';
}

export default {
  tail(traces: Trace[]) {
    for (const trace of traces) {
      const entrypoint = trace.executionModel === 'durableObject' ? (trace.entrypoint ?? 'durableObject') : 'worker';
      const key = `${entrypoint} ${kindOf(trace.event)}`;
      counts[key] = (counts[key] ?? 0) + 1;
      if (trace.durableObjectId) {
        const ids = objects.get(entrypoint) ?? new Set<string>();
        ids.add(trace.durableObjectId);
        objects.set(entrypoint, ids);
      }
    }
  },
  fetch() {
    return Response.json({ counts, objects: Object.fromEntries([...objects].map(([name, ids]) => [name, ids.size])) });
  },
};
