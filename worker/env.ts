// The Worker's bindings: the Durable Objects, the webhook queue, the media bucket and, as plain strings, the variables
// worker/config.ts parses.
import type { Hub } from './hub/hub.ts';
import type { KeyGate } from './key-gate/key-gate.ts';
import type { WebhookJob } from './webhooks/delivery.ts';

export interface Env {
  HUB: DurableObjectNamespace<Hub>;
  KEY_GATE: DurableObjectNamespace<KeyGate>;
  WEBHOOKS: Queue<WebhookJob>;
  MEDIA: R2Bucket;
  [variable: string]: unknown;
}
