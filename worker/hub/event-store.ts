// Makes one connector event durable in Turso, with its side effects on sessions and messages, in a single
// batch. The events table is keyed by the connector's event id, so a resent event changes nothing twice.
import { eq, notInArray, sql } from 'drizzle-orm';
import { events, messages, sessions } from '../../shared/db/schema.ts';
import type { SessionEvent } from '../../shared/protocol.ts';
import type { MessageStatus } from '../../shared/status.ts';
import type { Db } from '../db/client.ts';
import type { WebhookSubscription } from '../webhooks/subscription.ts';

/** A status may only move forward: a late "delivered" must not undo "read". */
const LATER_STATUSES: Record<string, MessageStatus[]> = {
  sent: ['sent', 'delivered', 'read'],
  delivered: ['delivered', 'read'],
  read: ['read'],
  failed: ['delivered', 'read', 'failed'],
};

export interface StoredEvent {
  id: string;
  sessionId: string;
  at: number;
  event: SessionEvent;
}

/**
 * Returns the session's webhook settings as they were when the event was stored, or null when the session
 * no longer exists (deleted while the event was in flight).
 */
export async function storeEvent(db: Db, { id, sessionId, at, event }: StoredEvent): Promise<WebhookSubscription | null> {
  const session = await db.query.sessions.findFirst({
    columns: { webhookUrl: true, webhookEvents: true },
    where: eq(sessions.id, sessionId),
  });
  if (!session) return null;
  const record = db
    .insert(events)
    .values({ id, sessionId, name: event.name, payload: JSON.stringify(event), occurredAt: at })
    .onConflictDoNothing();
  switch (event.name) {
    case 'connection.update': {
      const user = event.user;
      await db.batch([
        record,
        db
          .update(sessions)
          .set({
            status: event.status,
            updatedAt: at,
            ...(user ? { meJid: user.id, meName: user.name ?? null, phone: sql`coalesce(${sessions.phone}, ${user.id.split(/[:@]/)[0]})` } : {}),
          })
          .where(eq(sessions.id, sessionId)),
      ]);
      return session;
    }
    case 'message.received':
      await db.batch([
        record,
        db
          .insert(messages)
          .values({
            id: id,
            sessionId,
            direction: 'in',
            remoteJid: `${event.from}@s.whatsapp.net`,
            remotePhone: event.from,
            text: event.text,
            providerMessageId: event.messageId,
            status: 'received',
            createdAt: event.timestamp,
            updatedAt: at,
          })
          .onConflictDoNothing(),
      ]);
      return session;
    case 'message.sent':
      // An upsert, because a receipt can be stored before the message's own record; it knows the status.
      await db.batch([
        record,
        db
          .insert(messages)
          .values({
            id,
            sessionId,
            direction: 'out',
            remoteJid: `${event.to}@s.whatsapp.net`,
            remotePhone: event.to,
            text: event.text,
            providerMessageId: event.messageId,
            status: 'sent',
            createdAt: event.timestamp,
            updatedAt: at,
          })
          .onConflictDoUpdate({
            target: [messages.sessionId, messages.direction, messages.providerMessageId],
            set: { text: event.text },
          }),
      ]);
      return session;
    case 'message.status':
      // An upsert, because a receipt can be stored before the message.sent event.
      await db.batch([
        record,
        db
          .insert(messages)
          .values({
            id,
            sessionId,
            direction: 'out',
            remoteJid: `${event.to}@s.whatsapp.net`,
            remotePhone: event.to,
            text: '',
            providerMessageId: event.messageId,
            status: event.status,
            createdAt: event.timestamp,
            updatedAt: at,
          })
          .onConflictDoUpdate({
            target: [messages.sessionId, messages.direction, messages.providerMessageId],
            set: { status: event.status, updatedAt: at },
            setWhere: notInArray(messages.status, LATER_STATUSES[event.status] ?? []),
          }),
      ]);
      return session;
    case 'qr':
      await record;
      return session;
  }
}
