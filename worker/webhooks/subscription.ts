// Whether a session's event goes to a webhook, and where: the session's own URL, else the deployment's
// WEBHOOK_URL, filtered by the session's list of event names (none: every event).
export interface WebhookSubscription {
  webhookUrl: string | null;
  /** JSON array of event names, or null for all. */
  webhookEvents: string | null;
}

export function webhookTarget(session: WebhookSubscription, defaultUrl: string | undefined, eventName: string): string | null {
  const url = session.webhookUrl ?? defaultUrl;
  if (!url) return null;
  const filter = session.webhookEvents ? (JSON.parse(session.webhookEvents) as string[]) : null;
  return filter && !filter.includes(eventName) ? null : url;
}
