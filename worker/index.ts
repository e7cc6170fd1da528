// The Worker's entry point: the HTTP app, the webhook queue consumer, the daily retention run and the
// Durable Object classes.
import { createApp } from './app.ts';
import { readConfig } from './config.ts';
import { createDb } from './db/client.ts';
import type { Env } from './env.ts';
import { pruneExpired } from './services/retention.ts';
import type { WebhookJob } from './webhooks/delivery.ts';
import { consumeWebhookBatch } from './webhooks/queue-consumer.ts';

export { Hub } from './hub/hub.ts';
export { KeyGate } from './key-gate/key-gate.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<WebhookJob>, env: Env, ctx: ExecutionContext) => consumeWebhookBatch(batch, env, ctx),
  async scheduled(controller: ScheduledController, env: Env) {
    const config = readConfig(env);
    console.log('retention: pruned', JSON.stringify(await pruneExpired(createDb(config), env.MEDIA, config, controller.scheduledTime)));
  },
} satisfies ExportedHandler<Env, WebhookJob>;
