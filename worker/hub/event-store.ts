// Makes connector events durable in Turso, with their side effects on sessions and messages: a group of
// events costs one lookup of their sessions and one batch (a transaction), whatever its size. The events
// table is keyed by the connector's event id, so a resent event changes nothing twice.
import { eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { events, messages, sessions } from '../../shared/db/schema.ts';
import type { SessionEvent } from '../../shared/protocol.ts';
import type { MessageStatus } from '../../shared/status.ts';
import type { Db } from '../db/client.ts';
import type { WebhookSubscription } from '../webhooks/subscription.ts';
import { eventReason } from './status-reason.ts';

/** A status may only move forward: a late "delivered" must not undo "read". */
const LATER_STATUSES: Record<string, MessageStatus[]> = {
  sent: ['sent', 'delivered', 'read'],
  delivered: ['delivered', 'read'],
  read: ['read'],
  failed: ['delivered', 'read', 'failed'],
};

/** SQLite's bound-variable limit is far higher; this keeps the lookup statement small. */
const LOOKUP_CHUNK = 500;

export interface StoredEvent {
  id: string;
  sessionId: string;
  at: number;
  event: SessionEvent;
}

const OUTGOING_KEY = [messages.sessionId, messages.direction, messages.providerMessageId];

/** The messages row for a message this session sent, as the first event about it creates it. */
function outgoingRow(id: string, sessionId: string, at: number, sent: { messageId: string; to: string; timestamp: number }, text: string, status: MessageStatus) {
  return {
    id,
    sessionId,
    direction: 'out' as const,
    remoteJid: `${sent.to}@s.whatsapp.net`,
    remotePhone: sent.to,
    text,
    providerMessageId: sent.messageId,
    status,
    createdAt: sent.timestamp,
    updatedAt: at,
  };
}

/** The writes one event makes, in order: its record, then its side effect. */
function writesFor(db: Db, { id, sessionId, at, event }: StoredEvent): BatchItem<'sqlite'>[] {
  const record = db
    .insert(events)
    .values({ id, sessionId, name: event.name, payload: JSON.stringify(event), occurredAt: at })
    .onConflictDoNothing();
  switch (event.name) {
    case 'qr':
    case 'pairing.code':
      return [record];
    case 'connection.update': {
      const user = event.user;
      const reason = eventReason(event, at);
      return [
        record,
        db
          .update(sessions)
          .set({
            status: event.status,
            statusReason: reason ? JSON.stringify(reason) : null,
            // SET sees the row as it was: a repeat of the same status keeps when it began.
            statusSince: sql`case when ${sessions.status} = ${event.status} then coalesce(${sessions.statusSince}, ${at}) else ${at} end`,
            updatedAt: at,
            ...(user ? { meJid: user.id, meName: user.name ?? null, phone: sql`coalesce(${sessions.phone}, ${user.id.split(/[:@]/)[0]})` } : {}),
          })
          .where(eq(sessions.id, sessionId)),
      ];
    }
    case 'message.received':
      return [
        record,
        db
          .insert(messages)
          .values({
            id,
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
      ];
    // Both are upserts: the message.sent event and a receipt may reach the hub in either order. The first
    // creates the row; message.sent adds the text, a receipt moves the status forward.
    case 'message.sent':
      return [
        record,
        db
          .insert(messages)
          .values(outgoingRow(id, sessionId, at, event, event.text, 'sent'))
          .onConflictDoUpdate({ target: OUTGOING_KEY, set: { text: event.text } }),
      ];
    case 'message.status':
      return [
        record,
        db
          .insert(messages)
          .values(outgoingRow(id, sessionId, at, event, '', event.status))
          .onConflictDoUpdate({
            target: OUTGOING_KEY,
            set: { status: event.status, updatedAt: at },
            setWhere: notInArray(messages.status, LATER_STATUSES[event.status] ?? []),
          }),
      ];
  }
}

/**
 * Stores the events, in order, of the sessions that still exist, and returns those sessions with their
 * webhook settings as they were then. Events of a session that is gone (deleted while they were in
 * flight) are not stored. Throws when the batch fails; then nothing of it was stored.
 */
export async function storeEvents(db: Db, group: readonly StoredEvent[]): Promise<Map<string, WebhookSubscription>> {
  const ids = [...new Set(group.map((e) => e.sessionId))];
  const found = new Map<string, WebhookSubscription>();
  for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
    const rows = await db
      .select({ id: sessions.id, webhookUrl: sessions.webhookUrl, webhookEvents: sessions.webhookEvents })
      .from(sessions)
      .where(inArray(sessions.id, ids.slice(i, i + LOOKUP_CHUNK)));
    for (const { id, ...subscription } of rows) found.set(id, subscription);
  }
  const writes = group.filter((e) => found.has(e.sessionId)).flatMap((e) => writesFor(db, e));
  const [first, ...rest] = writes;
  if (first) await db.batch([first, ...rest]);
  return found;
}
