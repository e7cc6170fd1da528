// Fencing: the hub gives a connector's sessions to another connector once its lease (renewed by the
// `renew` frames its hub answers after writing the lease to the directory) has gone unrenewed for leaseMs. Before that can happen the connector closes its WhatsApp
// sockets itself, so a session never runs on two connectors and WhatsApp never sees them fight.

/**
 * The part of the lease a connector may spend without a renewal before it stops its sessions. Renewals are
 * counted from when the renewing frame was sent, never later, so the rest only has to cover closing the
 * sockets and a stalled event loop; a larger share keeps a slow welcome (a loaded hub) from fencing at once.
 */
export const FENCE_FRACTION = 0.75;

/** How long after its last renewal a connector stops its sessions. */
export function fenceAfterMs(leaseMs: number): number {
  return Math.floor(leaseMs * FENCE_FRACTION);
}

/** How often to ask for a renewal so that a healthy link renews well inside the fence (three per fence window). */
export function renewEveryMs(heartbeatMs: number, leaseMs: number | undefined): number {
  return leaseMs === undefined ? heartbeatMs : Math.max(100, Math.min(heartbeatMs, Math.floor(fenceAfterMs(leaseMs) / 3)));
}

export type FenceOptions = {
  /** Called once per lapse, when the lease was not renewed within the fence window. */
  onFenced: (silentMs: number) => void;
  now?: () => number;
};

/**
 * Watches renewals. `renewed(at, leaseMs)` takes the time the renewing frame was SENT: the hub heard it no
 * earlier, so the lease it wrote runs out no earlier than at + leaseMs.
 */
export class Fence {
  readonly #o: Required<FenceOptions>;
  #timer: NodeJS.Timeout | null = null;
  #renewedAt = 0;
  #leaseMs: number | undefined;

  constructor(options: FenceOptions) {
    this.#o = { now: Date.now, ...options };
  }

  renewed(at: number, leaseMs: number | undefined): void {
    this.#leaseMs = leaseMs;
    if (at > this.#renewedAt) this.#renewedAt = at;
    this.#arm();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    this.stop();
    if (this.#leaseMs === undefined) return;
    const due = this.#renewedAt + fenceAfterMs(this.#leaseMs);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#o.onFenced(this.#o.now() - this.#renewedAt);
    }, Math.max(0, due - this.#o.now()));
    this.#timer.unref();
  }
}
