// What the admin may change on a session after creating it: its description and its webhook. A secret is
// never shown again once stored; asking for a new one returns it this once.
import { eq } from 'drizzle-orm';
import { sessions } from '../../shared/db/schema.ts';
import type { PacingPolicy } from '../../shared/pacing.ts';
import { ApiError } from '../errors.ts';
import { newWebhookSecret } from '../webhooks/signing-secret.ts';
import { webhookTargetProblem } from '../webhooks/target-address.ts';
import type { Services } from './ports.ts';
import { findSession } from './sessions.ts';

/** Each field: absent keeps it, null clears it. */
export interface SessionChanges {
  description?: string | null;
  webhookUrl?: string | null;
  webhookEvents?: string[] | null;
  webhookToken?: string | null;
  /** true: replace the webhook secret with a generated one, returned once. */
  newWebhookSecret?: boolean;
  /** The session's pacing (defaults filled in); null: back to the connector's default. */
  pacing?: PacingPolicy | null;
}

export async function updateSession(s: Services, sessionId: string, changes: SessionChanges): Promise<{ webhookSecret?: string }> {
  const urlProblem = changes.webhookUrl && webhookTargetProblem(changes.webhookUrl, s.config.WEBHOOK_ALLOW_PRIVATE_TARGETS);
  if (urlProblem) {
    throw new ApiError('VALIDATION_FAILED', `Invalid request: webhookUrl ${urlProblem}`, { details: [{ field: 'webhookUrl', message: urlProblem }] });
  }
  const row = await findSession(s, sessionId);
  if (!row) throw new ApiError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
  // A URL set on a session without a secret gets one, as at creation: deliveries are signed with a secret its owner holds.
  const generate = changes.newWebhookSecret === true || (!!changes.webhookUrl && row.webhookSecret === null);
  const webhookSecret = generate ? newWebhookSecret() : undefined;
  const updated = await s.db
    .update(sessions)
    .set({
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.webhookUrl !== undefined ? { webhookUrl: changes.webhookUrl } : {}),
      ...(changes.webhookEvents !== undefined ? { webhookEvents: changes.webhookEvents === null ? null : JSON.stringify(changes.webhookEvents) } : {}),
      ...(changes.webhookToken !== undefined ? { webhookToken: changes.webhookToken } : {}),
      ...(webhookSecret ? { webhookSecret } : {}),
      ...(changes.pacing !== undefined ? { pacing: changes.pacing === null ? null : JSON.stringify(changes.pacing) } : {}),
      updatedAt: Date.now(),
    })
    .where(eq(sessions.id, sessionId))
    .returning({ id: sessions.id });
  if (updated.length === 0) throw new ApiError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
  // The connector paces the session's sends: it hears the new policy with the session's desired state.
  if (changes.pacing !== undefined) await s.hub.syncSession(sessionId);
  return webhookSecret ? { webhookSecret } : {};
}
