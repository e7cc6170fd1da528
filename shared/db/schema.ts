// The Turso schema: the single source for migrations (drizzle-kit) and typed queries. Times are epoch ms.
import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    /** The WhatsApp number: given by the Laravel surface, learned at pairing on the session-key surface. */
    phone: text('phone'),
    description: text('description'),
    /** The owner's user id in their own backend (Laravel `user_id`). */
    userId: text('user_id'),
    status: text('status').notNull().default('STOPPED'),
    /** Why the status is not WORKING, as JSON `{code, message, at}` (shared/status.ts StatusReason); null when WORKING. */
    statusReason: text('status_reason'),
    /** When the session entered its current status (epoch ms). */
    statusSince: integer('status_since'),
    /**
     * The number a scan must come from (Laravel sessions, or a session-key session created with `phone`);
     * unlike `phone`, never learned from a scan, so another number is refused with PHONE_MISMATCH.
     */
    expectedPhone: text('expected_phone'),
    /** Bumped by every explicit start; resumes a session its connector stopped by itself (QR_TIMEOUT). */
    startEpoch: integer('start_epoch').notNull().default(0),
    desiredState: text('desired_state', { enum: ['running', 'stopped'] }).notNull().default('running'),
    /** Bumped by logout and reset; a connector that applied a lower epoch forgets the WhatsApp login. */
    authEpoch: integer('auth_epoch').notNull().default(0),
    /** The admin's pacing policy as JSON (shared/pacing.ts PacingPolicy, defaults filled in); null: the connector's default. */
    pacing: text('pacing'),
    connectorId: text('connector_id'),
    /**
     * JSON array of the connectors the session was moved away from (failover, drain, a move by hand), newest
     * first: the fencing record of who owned it before. Their late facts still count, their live state not.
     */
    formerConnectors: text('former_connectors').notNull().default('[]'),
    meJid: text('me_jid'),
    meName: text('me_name'),
    webhookUrl: text('webhook_url'),
    /** JSON array of event names to deliver; null delivers all. */
    webhookEvents: text('webhook_events'),
    /** Sent as `Authorization: Bearer` when the gateway calls the owner's backend. */
    webhookToken: text('webhook_token'),
    /** HMAC key for deliveries to webhookUrl (generated when none was given); see worker/webhooks/signing-secret.ts. */
    webhookSecret: text('webhook_secret'),
    /**
     * Who created the session: `anonymous` through open creation (ALLOW_OPEN_SESSION_CREATE). The admin's
     * Laravel routes never adopt such a session, so its creator's webhook and key cannot capture it.
     */
    createdBy: text('created_by', { enum: ['admin', 'anonymous'] }).notNull().default('admin'),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [index('sessions_phone').on(t.phone), index('sessions_connector').on(t.connectorId)],
);

/**
 * The directory of connectors: one row per connector that ever said hello, written by its hub. With
 * `sessions.connector_id` it tells the Worker which hub holds a session and where to place a new one. A row
 * is never deleted because a connector went away: absence is not an instruction.
 */
export const connectors = sqliteTable('connectors', {
  id: text('id').primaryKey(),
  /** Whether the connector's link to its hub is up, as its hub last recorded. */
  attached: integer('attached', { mode: 'boolean' }).notNull().default(false),
  attachedAt: integer('attached_at'),
  /** When its hub last heard from it (hello, a lease renewal, detach). */
  lastSeenAt: integer('last_seen_at'),
  /**
   * Until when the connector holds its sessions: a lease from its hello or its last renewal its hub wrote
   * here (failover); null before any lease. Lapsed is lapsed, whatever `attached` says.
   */
  leaseExpiresAt: integer('lease_expires_at'),
  /**
   * The fencing token: bumped by each hello (a new lease) and by the checker that takes a lapsed lease. A
   * hub renews only the epoch it welcomed, so a link whose lease was taken cannot bring it back.
   */
  leaseEpoch: integer('lease_epoch').notNull().default(0),
  /** The connector process its last hello named: a drain holds across that process's reconnects. */
  instance: text('instance'),
  /** How many sessions it holds, as its hub last counted at hello (placement also counts sessions rows). */
  load: integer('load').notNull().default(0),
  /** Drained connectors keep their sessions until moved but get no new ones. */
  draining: integer('draining', { mode: 'boolean' }).notNull().default(false),
  createdAt: integer('created_at').notNull().default(now),
});

/**
 * One row per deleted session id, written in the same batch as the delete. A connector that was away
 * still holds the session's login, and only this explicit record (never the session's mere absence from
 * the database) tells it to unlink the phone. Cleared when a session with the id is created again, which
 * then starts above `authEpoch`, so a login still held from before is forgotten rather than resumed.
 */
export const deletedSessions = sqliteTable('deleted_sessions', {
  sessionId: text('session_id').primaryKey(),
  authEpoch: integer('auth_epoch').notNull(),
  deletedAt: integer('deleted_at').notNull().default(now),
});

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** Hex SHA-256 of the whole key; the key itself is shown once and never stored. */
    keyHash: text('key_hash').notNull(),
    /** The first characters of the key, so a user can tell keys apart. */
    prefix: text('prefix').notNull(),
    sendPerMinute: integer('send_per_minute').notNull(),
    otherPerMinute: integer('other_per_minute').notNull(),
    createdAt: integer('created_at').notNull().default(now),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_hash').on(t.keyHash), index('api_keys_session').on(t.sessionId)],
);

export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    direction: text('direction', { enum: ['in', 'out'] }).notNull(),
    remoteJid: text('remote_jid').notNull(),
    remotePhone: text('remote_phone'),
    text: text('text').notNull(),
    /** WhatsApp's message id (`key.id`). */
    providerMessageId: text('provider_message_id').notNull(),
    /** The kind (shared/protocol.ts MessageKind); rows from before kinds are text. */
    type: text('type').notNull().default('text'),
    /** The stored file of a media message (see `media`), when there is one. */
    mediaId: text('media_id'),
    status: text('status').notNull(),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [uniqueIndex('messages_provider_id').on(t.sessionId, t.direction, t.providerMessageId)],
);

/**
 * Every file in the MEDIA bucket (key `<sessionId>/<id>`): what R2 cannot hold as metadata, since the SHA-256
 * and size are known only once the bytes have streamed through, after the object's metadata was fixed.
 * A row is written only after its object is complete, so a row always names whole bytes.
 */
export const media = sqliteTable(
  'media',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** out: uploaded or fetched for a send; in: received from WhatsApp (stored by the connector). */
    direction: text('direction', { enum: ['in', 'out'] }).notNull(),
    mimetype: text('mimetype').notNull(),
    size: integer('size').notNull(),
    /** Hex SHA-256 of the bytes, computed while they streamed into R2. */
    sha256: text('sha256').notNull(),
    filename: text('filename'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [index('media_session').on(t.sessionId), index('media_created').on(t.createdAt)],
);

/** Every event a connector reported, keyed by the connector's event id: the hub's durability point and dedupe. */
export const events = sqliteTable(
  'events',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    payload: text('payload').notNull(),
    occurredAt: integer('occurred_at').notNull(),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [index('events_session').on(t.sessionId, t.occurredAt)],
);

/** Every attempt to deliver an event to the owner's webhook, for `GET /api/webhooks/deliveries`. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id').notNull(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    url: text('url').notNull(),
    /** delivered: a 2xx; failed: will be retried; dead: out of retries, moved to the dead-letter queue. */
    outcome: text('outcome', { enum: ['delivered', 'failed', 'dead'] }).notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms'),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [index('webhook_deliveries_session').on(t.sessionId, t.createdAt), index('webhook_deliveries_event').on(t.eventId)],
);

/**
 * Webhook jobs put on the queue and not yet finished (delivered, given up on, or not wanted any more). A
 * queue that lost its messages (the one-box service's is in memory) is filled again from here.
 */
export const webhookJobs = sqliteTable('webhook_jobs', {
  eventId: text('event_id').primaryKey(),
  sessionId: text('session_id')
    .notNull()
    .references(() => sessions.id, { onDelete: 'cascade' }),
  createdAt: integer('created_at').notNull().default(now),
  /**
   * The queue message delivering this job now, and until when (epoch ms): two copies of a job (another hub
   * queued it again, an admin requeue, concurrent consumers) are never posted at once.
   */
  claim: text('claim'),
  claimedUntil: integer('claimed_until'),
});
