// Which secret signs a delivery. Webhooks are always signed: a secret signs for the URL it was set with
// (the session's own URL with the session's secret, WEBHOOK_URL with WEBHOOK_SECRET), each falling back to
// the other, and when neither exists the session is given a secret of its own, kept for later deliveries.
import { and, eq, isNull } from 'drizzle-orm';
import { sessions } from '../../shared/db/schema.ts';
import type { Db } from '../db/client.ts';

export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return 'whsec_' + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export interface SigningSession {
  id: string;
  webhookUrl: string | null;
  webhookSecret: string | null;
}

export async function signingSecret(db: Db, session: SigningSession, deploymentSecret: string | undefined): Promise<string> {
  const chosen = session.webhookUrl ? (session.webhookSecret ?? deploymentSecret) : (deploymentSecret ?? session.webhookSecret);
  if (chosen) return chosen;
  // Only the first of concurrent deliveries stores its secret; all of them sign with the stored one.
  await db
    .update(sessions)
    .set({ webhookSecret: newWebhookSecret() })
    .where(and(eq(sessions.id, session.id), isNull(sessions.webhookSecret)));
  const stored = await db.query.sessions.findFirst({ columns: { webhookSecret: true }, where: eq(sessions.id, session.id) });
  if (!stored?.webhookSecret) throw new Error(`session ${session.id} is gone; nothing to sign for`);
  console.warn(`webhook secret generated for session ${session.id}: set WEBHOOK_SECRET to sign with one you know`);
  return stored.webhookSecret;
}
