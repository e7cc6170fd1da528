// The webhook jobs this hub put on the queue lately. An event the connector sends again (its ack was lost
// with the link) whose job is still pending was either queued here already or never queued (the queue
// refused the batch, so nothing was acked); this tells the two apart while the hub lives. A hub started
// since knows neither and queues it again: a second copy the consumer skips once the first is finished,
// which beats a job that waits for an admin's requeue.

/** Enough for the resends of every link's unacked window many times over; the oldest are forgotten first. */
const KEPT = 10_000;

export class QueuedByHub {
  private readonly ids = new Set<string>();

  add(eventIds: Iterable<string>): void {
    for (const id of eventIds) {
      this.ids.delete(id);
      this.ids.add(id);
    }
    for (const id of this.ids) {
      if (this.ids.size <= KEPT) break;
      this.ids.delete(id);
    }
  }

  has(eventId: string): boolean {
    return this.ids.has(eventId);
  }
}
