// Tells the hub, every SEEN_INTERVAL_MS at most, when each WORKING session last heard from WhatsApp, so a
// status can show `lastSeenAt` without an event (and a Turso write) per frame. Only what changed is sent;
// after a reconnect everything is sent again, since the hub may have missed it.

/** 30 s: frequent enough that a stalled session shows a stale lastSeenAt within a minute, and one frame
 * per connector (not per session) each time, so the hub wakes twice a minute at most for it. */
export const SEEN_INTERVAL_MS = 30_000;

export type SeenReporterOptions = {
  lastSeen: () => { sessionId: string; at: number }[];
  /** Sends the frame; false when the link is down (then nothing counts as sent). */
  send: (sessions: { sessionId: string; at: number }[]) => boolean;
  intervalMs?: number;
};

export type SeenReporter = {
  /** The hub (re)welcomed this connector: the next report sends everything. */
  linkReady(): void;
  stop(): void;
};

export function startSeenReporter(o: SeenReporterOptions): SeenReporter {
  let sent = new Map<string, number>();
  const timer = setInterval(() => {
    const changed = o.lastSeen().filter((s) => sent.get(s.sessionId) !== s.at);
    if (changed.length === 0 || !o.send(changed)) return;
    for (const s of changed) sent.set(s.sessionId, s.at);
  }, o.intervalMs ?? SEEN_INTERVAL_MS);
  timer.unref();
  return {
    linkReady: () => {
      sent = new Map();
    },
    stop: () => clearInterval(timer),
  };
}
