// Gauges read at scrape time from the parts that own the numbers: the sessions held, the outbox, the media
// jobs, the outbound queue, the hub link. This is the place for more of them: the connector leases
// (wip/failover) add their source to GaugeSources and their gauge below.
import { Gauge, type Registry } from 'prom-client';
import type { SessionStatus, StatusReasonCode } from '../../shared/status.ts';

export type GaugeSources = {
  /** Every session held in memory, with the status it is in and the reason code it last reported. */
  sessions: () => { status: SessionStatus; reason: StatusReasonCode | undefined }[];
  /** Events in the outbox not yet acked by the hub, and when the oldest was emitted (null when none). */
  outbox: () => Promise<{ count: number; oldestAt: number | null }>;
  /** Received media messages whose bytes are still being fetched (or waiting to be retried). */
  mediaJobs: () => Promise<number>;
  hubLinkReady: () => boolean;
  /** The durable outbound queue of the sessions held: messages waiting, and sessions with work whose queue is paused. */
  sendQueue: () => Promise<{ waiting: number; pausedSessions: number }>;
  now?: () => number;
};

export function registerScrapeGauges(registry: Registry, sources: GaugeSources): void {
  const registers = [registry];
  const now = sources.now ?? Date.now;
  new Gauge({
    name: 'kabar_connector_sessions',
    help: 'Sessions held by this connector, by status and the reason code of that status (NONE when it has none, as WORKING)',
    labelNames: ['status', 'reason'] as const,
    registers,
    collect() {
      this.reset();
      const counts = new Map<string, { status: string; reason: string; n: number }>();
      for (const { status, reason } of sources.sessions()) {
        const labels = { status, reason: status === 'WORKING' ? 'NONE' : (reason ?? 'NONE') };
        const key = `${labels.status}\n${labels.reason}`;
        const entry = counts.get(key) ?? { ...labels, n: 0 };
        entry.n += 1;
        counts.set(key, entry);
      }
      for (const { status, reason, n } of counts.values()) this.set({ status, reason }, n);
    },
  });
  // Each reads the outbox itself: the registry collects metrics concurrently, in no order to rely on.
  new Gauge({
    name: 'kabar_connector_outbox_events',
    help: 'Events stored in the outbox and not yet acked by the hub',
    registers,
    async collect() {
      this.set((await sources.outbox()).count);
    },
  });
  new Gauge({
    name: 'kabar_connector_outbox_oldest_age_seconds',
    help: 'Age of the oldest event in the outbox not yet acked by the hub (0 when the outbox is empty)',
    registers,
    async collect() {
      const { oldestAt } = await sources.outbox();
      this.set(oldestAt === null ? 0 : Math.max(0, now() - oldestAt) / 1000);
    },
  });
  new Gauge({
    name: 'kabar_connector_media_jobs_pending',
    help: 'Received media messages whose bytes are still being fetched, checked and stored (or wait for a retry)',
    registers,
    async collect() {
      this.set(await sources.mediaJobs());
    },
  });
  new Gauge({
    name: 'kabar_connector_send_queue_messages',
    help: 'Messages in the durable outbound queue of the sessions held (queued or being sent)',
    registers,
    async collect() {
      this.set((await sources.sendQueue()).waiting);
    },
  });
  new Gauge({
    name: 'kabar_connector_send_queue_paused_sessions',
    help: 'Sessions with queued messages whose queue is paused (by request, or by a warning sign from WhatsApp)',
    registers,
    async collect() {
      this.set((await sources.sendQueue()).pausedSessions);
    },
  });
  new Gauge({
    name: 'kabar_connector_hub_link_up',
    help: '1 while the link to the hub is authenticated and welcomed, else 0',
    registers,
    collect() {
      this.set(sources.hubLinkReady() ? 1 : 0);
    },
  });
}
