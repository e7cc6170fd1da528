// The Worker's entry point: the HTTP app, the webhook queue consumer and the Durable Object classes.
import { createApp } from './app.ts';
import type { Env } from './env.ts';
import type { WebhookJob } from './webhooks/delivery.ts';
import { consumeWebhookBatch } from './webhooks/queue-consumer.ts';

export { Hub } from './hub/hub.ts';
export { KeyGate } from './key-gate/key-gate.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<WebhookJob>, env: Env) => consumeWebhookBatch(batch, env),
} satisfies ExportedHandler<Env, WebhookJob>;
