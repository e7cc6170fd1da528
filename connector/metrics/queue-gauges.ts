// The outbound queue's figures for the sessions this connector holds: a store shared by several connectors
// keys the queue by session, so only the held sessions' rows are this connector's work.
import type { SendQueue } from '../queue/send-queue.ts';

export async function queueGauges(queue: Pick<SendQueue, 'sessionsWithWork' | 'depth' | 'pauseOf'>, held: readonly string[]): Promise<{ waiting: number; pausedSessions: number }> {
  const mine = new Set(held);
  const busy = (await queue.sessionsWithWork()).filter((id) => mine.has(id));
  const [depths, pauses] = await Promise.all([Promise.all(busy.map((id) => queue.depth(id))), Promise.all(busy.map((id) => queue.pauseOf(id)))]);
  return { waiting: depths.reduce((a, b) => a + b, 0), pausedSessions: pauses.filter((p) => p !== null).length };
}
