// The one answer to a session created on either surface (session key or admin): the secrets it shows once.
type Created = { sessionId: string; apiKey: string; webhookSecret?: string };

export function sessionCreatedBody({ sessionId, apiKey, webhookSecret }: Created) {
  return {
    success: true as const,
    sessionId,
    apiKey,
    ...(webhookSecret ? { webhookSecret } : {}),
    message: `Session created. Store the API key${webhookSecret ? ' and the webhook secret' : ''} now: ${webhookSecret ? 'they are' : 'it is'} shown only once.`,
  };
}
