// The admin's view of sessions: a page of them, and everything about one (without its secrets).
import { and, asc, count, eq, gt, isNull } from 'drizzle-orm';
import { apiKeys, events, messages, sessions, webhookDeliveries } from '../../shared/db/schema.ts';
import type { PacingPolicy } from '../../shared/pacing.ts';
import type { SessionStatus, StatusReason } from '../../shared/status.ts';
import type { ConnectedUser } from '../../shared/protocol.ts';
import { ApiError } from '../errors.ts';
import type { Services } from './ports.ts';
import { findSession, sessionState } from './sessions.ts';

export interface SessionSummary {
  id: string;
  description: string | null;
  status: SessionStatus;
  reason: StatusReason | null;
  since: number | null;
  phone: string | null;
  user: ConnectedUser | null;
  connectorId: string | null;
  desiredState: 'running' | 'stopped';
  createdBy: 'admin' | 'anonymous';
  createdAt: number;
}

type Row = typeof sessions.$inferSelect;

function summaryOf(row: Row): SessionSummary {
  return {
    id: row.id,
    description: row.description,
    status: row.status as SessionStatus,
    reason: row.statusReason ? (JSON.parse(row.statusReason) as StatusReason) : null,
    since: row.statusSince,
    phone: row.phone,
    user: row.meJid ? { id: row.meJid, ...(row.meName ? { name: row.meName } : {}) } : null,
    connectorId: row.connectorId,
    desiredState: row.desiredState,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
  };
}

export interface SessionPageQuery {
  status?: SessionStatus | undefined;
  limit: number;
  /** The last id of the previous page: pages follow the id order, so a cursor stays valid as sessions come and go. */
  cursor?: string | undefined;
}

export async function listSessions(s: Services, query: SessionPageQuery): Promise<{ sessions: SessionSummary[]; nextCursor: string | null }> {
  const rows = await s.db
    .select()
    .from(sessions)
    .where(and(query.status ? eq(sessions.status, query.status) : undefined, query.cursor ? gt(sessions.id, query.cursor) : undefined))
    .orderBy(asc(sessions.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  return { sessions: page.map(summaryOf), nextCursor: rows.length > query.limit ? page[page.length - 1]!.id : null };
}

export interface SessionDetail extends SessionSummary {
  connectorAttached: boolean;
  lastSeenAt: number | null;
  expectedPhone: string | null;
  userId: string | null;
  webhook: { url: string | null; events: string[] | null; hasSecret: boolean; hasToken: boolean };
  /** The admin's pacing policy; null: the connector's default (PACING_DEFAULT). */
  pacing: PacingPolicy | null;
  keys: { prefix: string; createdAt: number; lastUsedAt: number | null }[];
  counters: { messagesIn: number; messagesOut: number; events: number; deliveries: { delivered: number; failed: number; dead: number } };
}

export async function sessionDetail(s: Services, sessionId: string): Promise<SessionDetail> {
  const row = await findSession(s, sessionId);
  if (!row) throw new ApiError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
  const [state, keys, messageCounts, eventCount, deliveryCounts] = await Promise.all([
    // The hub's word is fresher than the row; the row stands in when the hub cannot be asked.
    sessionState(s, sessionId).catch(() => null),
    s.db
      .select({ prefix: apiKeys.prefix, createdAt: apiKeys.createdAt, lastUsedAt: apiKeys.lastUsedAt })
      .from(apiKeys)
      .where(and(eq(apiKeys.sessionId, sessionId), isNull(apiKeys.revokedAt))),
    s.db.select({ direction: messages.direction, n: count() }).from(messages).where(eq(messages.sessionId, sessionId)).groupBy(messages.direction),
    s.db.$count(events, eq(events.sessionId, sessionId)),
    s.db
      .select({ outcome: webhookDeliveries.outcome, n: count() })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.sessionId, sessionId))
      .groupBy(webhookDeliveries.outcome),
  ]);
  const summary = summaryOf(row);
  const messagesOf = (direction: 'in' | 'out') => messageCounts.find((m) => m.direction === direction)?.n ?? 0;
  const deliveriesOf = (outcome: 'delivered' | 'failed' | 'dead') => deliveryCounts.find((d) => d.outcome === outcome)?.n ?? 0;
  return {
    ...summary,
    ...(state ? { status: state.status, reason: state.reason, since: state.since, user: state.user ?? summary.user } : {}),
    connectorAttached: state?.connectorAttached ?? false,
    lastSeenAt: state?.lastSeenAt ?? null,
    expectedPhone: row.expectedPhone,
    userId: row.userId,
    webhook: {
      url: row.webhookUrl,
      events: row.webhookEvents ? (JSON.parse(row.webhookEvents) as string[]) : null,
      hasSecret: row.webhookSecret !== null,
      hasToken: row.webhookToken !== null,
    },
    pacing: row.pacing ? (JSON.parse(row.pacing) as PacingPolicy) : null,
    keys,
    counters: {
      messagesIn: messagesOf('in'),
      messagesOut: messagesOf('out'),
      events: eventCount,
      deliveries: { delivered: deliveriesOf('delivered'), failed: deliveriesOf('failed'), dead: deliveriesOf('dead') },
    },
  };
}

