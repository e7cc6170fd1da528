// Messages in and out from Turso's messages table: every message the hubs recorded, by direction and kind.
import { count } from 'drizzle-orm';
import { messages } from '../../shared/db/schema.ts';
import type { Services } from '../services/ports.ts';
import type { MetricFamily } from './exposition.ts';

export async function messageMetrics(s: Services): Promise<MetricFamily[]> {
  const groups = await s.db.select({ direction: messages.direction, type: messages.type, n: count() }).from(messages).groupBy(messages.direction, messages.type);
  return [
    {
      name: 'kabar_messages_total',
      help: 'Messages recorded, by direction (in: received, out: sent through the API or typed on the phone) and kind; a deleted session takes its messages with it',
      type: 'counter',
      samples: groups.map((g) => ({ labels: { direction: g.direction, type: g.type }, value: g.n })),
    },
  ];
}
