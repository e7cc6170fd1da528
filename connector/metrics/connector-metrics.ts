// The connector's counters and histograms, fed by what it does: events stored in the outbox, commands
// answered, WhatsApp sockets closed, events acked by the hub. Gauges read at scrape time are in scrape-gauges.ts.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Command, SessionEvent } from '../../shared/protocol.ts';
import type { StatusReasonCode } from '../../shared/status.ts';
import type { CommandOutcome } from '../hub-link.ts';
import type { DisconnectAction } from '../whatsapp/disconnect.ts';

/** A WhatsApp socket's close, as the session classified it. */
export type SocketClose = {
  action: DisconnectAction;
  reason: StatusReasonCode;
  /** A WORKING socket that stopped answering keep-alive pings (Baileys' 408): open, but nothing came back. */
  stalled: boolean;
};

export type ConnectorMetrics = {
  /** An event written to the outbox for the first time (a redelivery WhatsApp repeats is not counted again). */
  eventStored(sessionId: string, event: SessionEvent): void;
  commandAnswered(command: Command, outcome: CommandOutcome): void;
  socketClosed(close: SocketClose): void;
  /** How long each acked event waited between being emitted and the hub's ack. */
  eventsAcked(lagsMs: readonly number[]): void;
  /** The last status reason each session reported (its code), for the sessions gauge. */
  lastReason(sessionId: string): StatusReasonCode | undefined;
};

const SEND_COMMANDS = new Set<Command['name']>(['send.text', 'send.message']);

/** From a few milliseconds on a healthy link to minutes for a backlog after an outage. */
const ACK_LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

export function createConnectorMetrics(registry: Registry): ConnectorMetrics {
  const registers = [registry];
  const messages = new Counter({
    name: 'kabar_connector_messages_total',
    help: 'Messages received from WhatsApp (direction in) and sent (out: through the API or typed on the phone), by kind',
    labelNames: ['direction', 'type'] as const,
    registers,
  });
  const sendFailures = new Counter({
    name: 'kabar_connector_send_failures_total',
    help: 'Sends that failed, by code: the command refused (e.g. SESSION_NOT_CONNECTED, SEND_FAILED) or WhatsApp refused it afterwards (e.g. MESSAGE_REJECTED)',
    labelNames: ['code'] as const,
    registers,
  });
  const reconnects = new Counter({
    name: 'kabar_connector_reconnects_total',
    help: 'WhatsApp sockets opened again after a close, by the reason of the close',
    labelNames: ['reason'] as const,
    registers,
  });
  const stalls = new Counter({
    name: 'kabar_connector_stalls_total',
    help: 'WORKING WhatsApp sockets that stopped answering keep-alive pings and were closed',
    registers,
  });
  const ackLag = new Histogram({
    name: 'kabar_connector_event_ack_lag_seconds',
    help: 'Time from an event being emitted (stored in the outbox) to the hub acknowledging it',
    buckets: ACK_LAG_BUCKETS,
    registers,
  });
  const reasons = new Map<string, StatusReasonCode | undefined>();

  return {
    eventStored(sessionId, event) {
      switch (event.name) {
        case 'message.received':
          messages.inc({ direction: 'in', type: event.type ?? 'text' });
          return;
        case 'message.sent':
          messages.inc({ direction: 'out', type: event.type ?? 'text' });
          return;
        case 'message.status':
          if (event.status === 'failed') sendFailures.inc({ code: event.error?.code ?? 'FAILED' });
          return;
        case 'connection.update':
          reasons.set(sessionId, event.code);
          return;
      }
    },
    commandAnswered(command, outcome) {
      if (!outcome.ok && SEND_COMMANDS.has(command.name)) sendFailures.inc({ code: outcome.error.code });
    },
    socketClosed(close) {
      if (close.stalled) stalls.inc();
      if (close.action === 'reconnect' || close.action === 'restart') reconnects.inc({ reason: close.reason });
    },
    eventsAcked(lagsMs) {
      for (const ms of lagsMs) ackLag.observe(Math.max(0, ms) / 1000);
    },
    lastReason: (sessionId) => reasons.get(sessionId),
  };
}
