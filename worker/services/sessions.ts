// The session lifecycle, shared by both API surfaces. Every call records the desired state in Turso and
// answers at once; the hub passes it on to the connector, which converges whenever it is attached.
import { eq, sql } from 'drizzle-orm';
import { apiKeys, deletedSessions, sessions } from '../../shared/db/schema.ts';
import type { SessionStatus, StatusReason } from '../../shared/status.ts';
import type { ConnectedUser } from '../../shared/protocol.ts';
import { ApiError } from '../errors.ts';
import { newWebhookSecret } from '../webhooks/signing-secret.ts';
import { webhookTargetProblem } from '../webhooks/target-address.ts';
import { presumedReason } from '../hub/status-reason.ts';
import { newApiKey, revokeSessionKeys } from './api-keys.ts';
import { parseRecipient } from './messaging.ts';
import type { Services } from './ports.ts';
import { isConnectorOffline } from './connector-offline.ts';
import { deleteSessionMedia } from './media.ts';

export interface NewSession {
  /** Open creation without the admin token: the id is always generated, so it can never take a name the admin will use. */
  anonymous?: boolean;
  sessionId?: string;
  description?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  webhookEvents?: string[];
  /** The number the session must be linked to: a scan by another phone is refused (PHONE_MISMATCH). */
  phone?: string;
}

function generatedSessionId(): string {
  return 'ses_' + crypto.randomUUID().replace(/-/g, '').slice(0, 20);
}

function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } })?.cause;
  return cause?.code === 'SQLITE_CONSTRAINT' || (error as { code?: string })?.code === 'SQLITE_CONSTRAINT';
}

/** The hub is told after Turso has the truth; if the hub call fails, the connector's next hello reconciles. */
async function tellHub(s: Services, sessionId: string, expect?: SessionStatus): Promise<void> {
  try {
    await s.hub.syncSession(sessionId, expect);
  } catch (error) {
    console.warn('hub sync failed; the connector will reconcile on its next hello', sessionId, error);
  }
}

/** The key is already revoked in Turso; a hub that cannot be told now must not turn that into an error. */
async function closeStreams(s: Services, keyHashes: string[]): Promise<void> {
  try {
    await s.hub.closeStreams(keyHashes);
  } catch (error) {
    console.error('hub: could not close the streams of revoked keys', error);
  }
}

export async function findSession(s: Services, sessionId: string) {
  return s.db.query.sessions.findFirst({ where: eq(sessions.id, sessionId) });
}

/**
 * The auth epoch a session created under this id starts at: above the epoch of a deleted session of the
 * same id, so a connector that still holds that old login forgets it instead of resuming it.
 */
async function firstEpoch(s: Services, sessionId: string): Promise<number> {
  const tombstone = await s.db.query.deletedSessions.findFirst({ where: eq(deletedSessions.sessionId, sessionId) });
  return tombstone ? tombstone.authEpoch + 1 : 0;
}

/**
 * The admin's Laravel routes never adopt a session someone created anonymously: its webhook, secret and key
 * are its creator's, and adopting it would hand them the admin's messages and backend token.
 */
export function refuseAnonymous(row: { id: string; createdBy: 'admin' | 'anonymous' } | undefined): void {
  if (row?.createdBy !== 'anonymous') return;
  throw new ApiError(
    'SESSION_CREATED_ANONYMOUSLY',
    `Session ${row.id} was created anonymously (open creation), so the admin's routes do not adopt it; delete it first to use this name`,
  );
}

/**
 * Session-key surface: a new session and its API key (returned once). A webhook URL given without a secret
 * gets a generated one, returned once as well, so its deliveries are signed with a secret its owner holds.
 */
export async function createSession(s: Services, input: NewSession): Promise<{ sessionId: string; apiKey: string; webhookSecret?: string }> {
  if (input.anonymous && input.sessionId !== undefined) {
    throw new ApiError('FORBIDDEN', 'Choosing a sessionId needs the admin token; leave it out and a session id is generated');
  }
  const urlProblem = input.webhookUrl && webhookTargetProblem(input.webhookUrl, s.config.WEBHOOK_ALLOW_PRIVATE_TARGETS);
  if (urlProblem) {
    throw new ApiError('VALIDATION_FAILED', `Invalid request: webhookUrl ${urlProblem}`, { details: [{ field: 'webhookUrl', message: urlProblem }] });
  }
  const phone = input.phone === undefined ? null : parseRecipient(s.config, input.phone, 'phone');
  const sessionId = input.sessionId ?? generatedSessionId();
  const generatedSecret = input.webhookUrl && !input.webhookSecret ? newWebhookSecret() : undefined;
  if (await findSession(s, sessionId)) throw new ApiError('SESSION_EXISTS', `Session ${sessionId} already exists`);
  const { key, row } = await newApiKey(sessionId, {
    sendPerMinute: s.config.RATE_LIMIT_SEND_PER_MIN,
    otherPerMinute: s.config.RATE_LIMIT_OTHER_PER_MIN,
  });
  const authEpoch = await firstEpoch(s, sessionId);
  try {
    await s.db.batch([
      s.db.delete(deletedSessions).where(eq(deletedSessions.sessionId, sessionId)),
      s.db.insert(sessions).values({
        id: sessionId,
        authEpoch,
        description: input.description ?? null,
        webhookUrl: input.webhookUrl ?? null,
        webhookSecret: input.webhookSecret ?? generatedSecret ?? null,
        webhookEvents: input.webhookEvents ? JSON.stringify(input.webhookEvents) : null,
        phone,
        expectedPhone: phone,
        status: 'STARTING',
        ...statusColumns('STARTING', Date.now()),
        desiredState: 'running',
        createdBy: input.anonymous ? 'anonymous' : 'admin',
      }),
      s.db.insert(apiKeys).values(row),
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new ApiError('SESSION_EXISTS', `Session ${sessionId} already exists`);
    throw error;
  }
  await tellHub(s, sessionId, 'STARTING');
  return { sessionId, apiKey: key, ...(generatedSecret ? { webhookSecret: generatedSecret } : {}) };
}

/**
 * Replaces every key of the session with one new key (returned once); the old ones stop working at once.
 * Revoking and inserting are one transaction, so the session is never left without a usable key; the new
 * key's gate continues the old keys' rate-limit buckets. If the gates cannot be told, the database still
 * holds the truth: the new key works, and an old key's gate reads its revocation within its cache's age.
 */
export async function rotateApiKey(s: Services, sessionId: string): Promise<string> {
  if (!(await findSession(s, sessionId))) throw new ApiError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
  const { key, row } = await newApiKey(sessionId, {
    sendPerMinute: s.config.RATE_LIMIT_SEND_PER_MIN,
    otherPerMinute: s.config.RATE_LIMIT_OTHER_PER_MIN,
  });
  const [revoked] = await s.db.batch([revokeSessionKeys(s.db, sessionId, Date.now()), s.db.insert(apiKeys).values(row)]);
  try {
    await s.gates.handOver(
      revoked.map((r) => r.keyHash),
      row.keyHash,
    );
  } catch (error) {
    console.error('KEY GATES NOT UPDATED after a rotation; revoked keys keep working until their gates reload', sessionId, error);
  }
  await closeStreams(
    s,
    revoked.map((r) => r.keyHash),
  );
  return key;
}

/** The status columns as the API sets them, with the reason the status is presumed to have until the connector says. */
function statusColumns(status: SessionStatus, at: number) {
  const reason = presumedReason(status, at);
  return { statusReason: reason ? JSON.stringify(reason) : null, statusSince: at };
}

export interface SessionState {
  status: SessionStatus;
  /** Why it is not WORKING; null when WORKING. */
  reason: StatusReason | null;
  /** When it entered this status; null when not known (a session older than the record of it). */
  since: number | null;
  /** While WORKING: when its connector last heard from WhatsApp. */
  lastSeenAt: number | null;
  connected: boolean;
  connectorAttached: boolean;
  user: ConnectedUser | null;
  qrDataUrl: string | null;
  qrRaw: string | null;
}

/** Status and QR as the hub last heard them; Turso's record when the hub has none (e.g. a fresh hub). */
export async function sessionState(s: Services, sessionId: string): Promise<SessionState> {
  const view = await s.hub.view(sessionId);
  if (view) {
    const offline = isConnectorOffline(view.status, view.connectorAttached);
    return {
      status: view.status,
      reason: offline ? { code: 'CONNECTOR_OFFLINE', message: 'no connector holding this session is attached to the hub', at: view.updatedAt } : view.reason,
      since: view.since,
      lastSeenAt: view.lastSeenAt,
      connected: view.status === 'WORKING' && view.connectorAttached,
      connectorAttached: view.connectorAttached,
      user: view.user,
      qrDataUrl: view.qrDataUrl,
      qrRaw: view.qrRaw,
    };
  }
  const row = await findSession(s, sessionId);
  if (!row) throw new ApiError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
  return {
    status: row.status as SessionStatus,
    reason: row.statusReason ? (JSON.parse(row.statusReason) as StatusReason) : null,
    since: row.statusSince,
    lastSeenAt: null,
    connected: false,
    connectorAttached: false,
    user: row.meJid ? { id: row.meJid, ...(row.meName ? { name: row.meName } : {}) } : null,
    qrDataUrl: null,
    qrRaw: null,
  };
}

type SessionRow = NonNullable<Awaited<ReturnType<typeof findSession>>>;

/**
 * The phone logged the device out while the session is still wanted running: the connector keeps it
 * LOGGED_OUT until it is asked again with a new auth epoch. There is no login left to lose, so a start
 * bumps the epoch, and that is what makes the connector show a new QR. The hub's status is the freshest.
 */
async function loggedOutByPhone(s: Services, row: SessionRow): Promise<boolean> {
  if (row.desiredState !== 'running') return false;
  const view = await s.hub.view(row.id).catch(() => null);
  return (view?.status ?? row.status) === 'LOGGED_OUT';
}

async function setDesired(
  s: Services,
  sessionId: string,
  desired: 'running' | 'stopped',
  forgetLogin: boolean | ((row: SessionRow) => Promise<boolean>),
  expect: SessionStatus,
) {
  const current = await findSession(s, sessionId);
  if (!current) throw new ApiError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
  if (typeof forgetLogin === 'function') forgetLogin = await forgetLogin(current);
  if (!forgetLogin && current.desiredState === desired) {
    // Nothing changes (e.g. start on a running session): re-send the desired state, keep the status. A start
    // still counts: it resumes a session stopped after unscanned QR rounds (QR_TIMEOUT).
    if (desired === 'running') await s.db.update(sessions).set({ startEpoch: sql`${sessions.startEpoch} + 1` }).where(eq(sessions.id, sessionId));
    await tellHub(s, sessionId);
    return;
  }
  const updated = await s.db
    .update(sessions)
    .set({
      desiredState: desired,
      status: expect,
      ...statusColumns(expect, Date.now()),
      // Every start is an explicit instruction to run, which resumes a session its connector stopped by itself.
      ...(desired === 'running' ? { startEpoch: sql`${sessions.startEpoch} + 1` } : {}),
      updatedAt: Date.now(),
      ...(forgetLogin ? { authEpoch: sql`${sessions.authEpoch} + 1`, meJid: null, meName: null } : {}),
    })
    .where(eq(sessions.id, sessionId))
    .returning({ id: sessions.id });
  if (updated.length === 0) throw new ApiError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
  await tellHub(s, sessionId, expect);
}

/** Unlinks WhatsApp and forgets the login; the session and its keys stay, and `start` shows a new QR. */
export function logoutSession(s: Services, sessionId: string): Promise<void> {
  return setDesired(s, sessionId, 'stopped', true, 'LOGGED_OUT');
}

/** Starts a stopped session, or one the phone logged out (with a new epoch, so it shows a new QR). */
export function startSession(s: Services, sessionId: string): Promise<void> {
  return setDesired(s, sessionId, 'running', (row) => loggedOutByPhone(s, row), 'STARTING');
}

/** Stops a session and keeps its login: `start` resumes it without a new QR. */
export function stopSession(s: Services, sessionId: string): Promise<void> {
  return setDesired(s, sessionId, 'stopped', false, 'STOPPED');
}

/**
 * Closes the session's WhatsApp socket and opens it again, keeping the login: a stop then a start, each
 * recorded and passed on in order, so the connector sees both (a start alone on a running session is a no-op).
 */
export async function restartSession(s: Services, sessionId: string): Promise<void> {
  await stopSession(s, sessionId);
  await startSession(s, sessionId);
}

/** Forgets the login and starts again with a new QR. */
export function resetSession(s: Services, sessionId: string): Promise<void> {
  return setDesired(s, sessionId, 'running', true, 'STARTING');
}

/** Removes the session, its keys, messages, events and media files; the connector unlinks and drops it. */
export async function deleteSession(s: Services, sessionId: string): Promise<void> {
  // The tombstone is the explicit instruction a connector that was away needs; written with the delete,
  // and only for a session that exists.
  const [revoked, , deleted] = await s.db.batch([
    revokeSessionKeys(s.db, sessionId, Date.now()),
    s.db
      .insert(deletedSessions)
      .select(s.db.select({ sessionId: sessions.id, authEpoch: sessions.authEpoch, deletedAt: sql<number>`${Date.now()}`.as('deleted_at') }).from(sessions).where(eq(sessions.id, sessionId)))
      .onConflictDoUpdate({ target: deletedSessions.sessionId, set: { authEpoch: sql`excluded.auth_epoch`, deletedAt: sql`excluded.deleted_at` } }),
    s.db.delete(sessions).where(eq(sessions.id, sessionId)).returning({ id: sessions.id, connectorId: sessions.connectorId }),
  ]);
  await s.gates.forget(revoked.map((r) => r.keyHash));
  if (deleted.length === 0) throw new ApiError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
  try {
    await s.hub.removeSession(sessionId, deleted[0]!.connectorId);
  } catch (error) {
    console.warn('hub remove failed; the connector drops the session at its next hello', sessionId, error);
  }
  try {
    await deleteSessionMedia(s, sessionId);
  } catch (error) {
    // The session is gone either way; the retention sweep takes what is left in its time.
    console.error('could not delete the media files of a deleted session', sessionId, error);
  }
}

export interface SessionUpsert {
  sessionId: string;
  phone: string;
  userId?: string;
  webhookToken?: string;
}

/**
 * Laravel surface: sessions are named by their phone and may be announced (`client/store`) before or after
 * they are started (`create-session`); both leave the session running, as the original did.
 */
export async function ensureRunningSession(s: Services, input: SessionUpsert): Promise<void> {
  const existing = await findSession(s, input.sessionId);
  refuseAnonymous(existing);
  const relogin = existing ? await loggedOutByPhone(s, existing) : false;
  const wasRunning = existing?.desiredState === 'running' && !relogin;
  const owner = {
    ...(input.userId !== undefined ? { userId: input.userId } : {}),
    ...(input.webhookToken !== undefined ? { webhookToken: input.webhookToken } : {}),
  };
  const restart = relogin ? { authEpoch: sql`${sessions.authEpoch} + 1`, status: 'STARTING', meJid: null, meName: null } : {};
  const authEpoch = await firstEpoch(s, input.sessionId);
  await s.db.batch([
    s.db.delete(deletedSessions).where(eq(deletedSessions.sessionId, input.sessionId)),
    s.db
      .insert(sessions)
      .values({ id: input.sessionId, phone: input.phone, expectedPhone: input.phone, status: 'STARTING', ...statusColumns('STARTING', Date.now()), desiredState: 'running', authEpoch, ...owner })
      // Laravel sessions are keyed by their phone: that phone is the one a scan must come from.
      .onConflictDoUpdate({ target: sessions.id, set: { desiredState: 'running', expectedPhone: input.phone, startEpoch: sql`${sessions.startEpoch} + 1`, updatedAt: Date.now(), ...owner, ...restart } }),
  ]);
  await tellHub(s, input.sessionId, wasRunning ? undefined : 'STARTING');
}
