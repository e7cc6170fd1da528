// The session lifecycle, shared by both API surfaces. Every call records the desired state in Turso and
// answers at once; the hub passes it on to the connector, which converges whenever it is attached.
import { eq, sql } from 'drizzle-orm';
import { apiKeys, sessions } from '../../shared/db/schema.ts';
import type { SessionStatus } from '../../shared/status.ts';
import type { ConnectedUser } from '../../shared/protocol.ts';
import { ApiError } from '../errors.ts';
import { newApiKey, revokeSessionKeys } from './api-keys.ts';
import type { Services } from './ports.ts';

export interface NewSession {
  sessionId?: string;
  description?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  webhookEvents?: string[];
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

/** Session-key surface: a new session and its API key (returned once). */
export async function createSession(s: Services, input: NewSession): Promise<{ sessionId: string; apiKey: string }> {
  const sessionId = input.sessionId ?? generatedSessionId();
  if (await findSession(s, sessionId)) throw new ApiError('SESSION_EXISTS', `Session ${sessionId} already exists`);
  const { key, row } = await newApiKey(sessionId, {
    sendPerMinute: s.config.RATE_LIMIT_SEND_PER_MIN,
    otherPerMinute: s.config.RATE_LIMIT_OTHER_PER_MIN,
  });
  try {
    await s.db.batch([
      s.db.insert(sessions).values({
        id: sessionId,
        description: input.description ?? null,
        webhookUrl: input.webhookUrl ?? null,
        webhookSecret: input.webhookSecret ?? null,
        webhookEvents: input.webhookEvents ? JSON.stringify(input.webhookEvents) : null,
        status: 'STARTING',
        desiredState: 'running',
      }),
      s.db.insert(apiKeys).values(row),
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new ApiError('SESSION_EXISTS', `Session ${sessionId} already exists`);
    throw error;
  }
  await tellHub(s, sessionId, 'STARTING');
  return { sessionId, apiKey: key };
}

/** Replaces every key of the session with one new key (returned once); the old ones stop working at once. */
export async function rotateApiKey(s: Services, sessionId: string): Promise<string> {
  const revoked = await revokeSessionKeys(s.db, sessionId, Date.now());
  const { key, row } = await newApiKey(sessionId, {
    sendPerMinute: s.config.RATE_LIMIT_SEND_PER_MIN,
    otherPerMinute: s.config.RATE_LIMIT_OTHER_PER_MIN,
  });
  await s.db.insert(apiKeys).values(row);
  await s.gates.forget(revoked);
  await closeStreams(s, revoked);
  return key;
}

export interface SessionState {
  status: SessionStatus;
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
    return {
      status: view.status,
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
    connected: false,
    connectorAttached: false,
    user: row.meJid ? { id: row.meJid, ...(row.meName ? { name: row.meName } : {}) } : null,
    qrDataUrl: null,
    qrRaw: null,
  };
}

async function setDesired(s: Services, sessionId: string, desired: 'running' | 'stopped', forgetLogin: boolean, expect: SessionStatus) {
  const current = await findSession(s, sessionId);
  if (!current) throw new ApiError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
  if (!forgetLogin && current.desiredState === desired) {
    // Nothing changes (e.g. start on a running session): re-send the desired state, keep the status.
    await tellHub(s, sessionId);
    return;
  }
  const updated = await s.db
    .update(sessions)
    .set({
      desiredState: desired,
      status: expect,
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

export function startSession(s: Services, sessionId: string): Promise<void> {
  return setDesired(s, sessionId, 'running', false, 'STARTING');
}

/** Forgets the login and starts again with a new QR. */
export function resetSession(s: Services, sessionId: string): Promise<void> {
  return setDesired(s, sessionId, 'running', true, 'STARTING');
}

/** Removes the session, its keys, messages and events; the connector unlinks and drops it. */
export async function deleteSession(s: Services, sessionId: string): Promise<void> {
  const revoked = await revokeSessionKeys(s.db, sessionId, Date.now());
  const deleted = await s.db.delete(sessions).where(eq(sessions.id, sessionId)).returning({ id: sessions.id });
  await s.gates.forget(revoked);
  if (deleted.length === 0) throw new ApiError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
  try {
    await s.hub.removeSession(sessionId);
  } catch (error) {
    console.warn('hub remove failed; the connector drops the session at its next hello', sessionId, error);
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
  const wasRunning = (await findSession(s, input.sessionId))?.desiredState === 'running';
  const owner = {
    ...(input.userId !== undefined ? { userId: input.userId } : {}),
    ...(input.webhookToken !== undefined ? { webhookToken: input.webhookToken } : {}),
  };
  await s.db
    .insert(sessions)
    .values({ id: input.sessionId, phone: input.phone, status: 'STARTING', desiredState: 'running', ...owner })
    .onConflictDoUpdate({ target: sessions.id, set: { desiredState: 'running', updatedAt: Date.now(), ...owner } });
  await tellHub(s, input.sessionId, wasRunning ? undefined : 'STARTING');
}
