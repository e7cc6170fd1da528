// The one public shape of an event, for webhooks and the live stream alike: our names, no Baileys.
import type { SessionEvent } from '../../shared/protocol.ts';

export interface EventEnvelope {
  id: string;
  event: SessionEvent['name'];
  sessionId: string;
  /** When it happened, epoch ms. */
  timestamp: number;
  data: Record<string, unknown>;
}

export function toEnvelope(id: string, sessionId: string, at: number, event: SessionEvent): EventEnvelope {
  const { name, ...data } = event;
  return { id, event: name, sessionId, timestamp: at, data };
}
