// The webhook events in OpenAPI 3.1's `webhooks` section: one entry per event, its envelope and data made
// from the wire schema (shared/protocol.ts SessionEvent), with the headers that sign it.
import { z } from 'zod';
import { SessionEvent } from '../../shared/protocol.ts';

const SIGNING =
  'Verify before trusting: HMAC-SHA256 with your webhook secret over `<X-Kabar-Timestamp>.<raw body>`, hex, prefixed `sha256=`, must equal X-Kabar-Signature (compare in constant time, and refuse a timestamp more than 5 minutes old). X-Hub-Signature-256 signs the raw body alone, as Meta does. The same event may arrive more than once: deduplicate by X-Kabar-Event-Id. Answer 2xx within WEBHOOK_TIMEOUT_MS; anything else is retried with backoff, then dead-lettered (see GET /api/webhooks/deliveries and its replay).';

const header = (name: string, description: string, example: string, required = true) => ({
  name,
  in: 'header',
  required,
  description,
  schema: { type: 'string' },
  example,
});

const HEADERS = [
  header('X-Kabar-Event-Id', 'The event id; the same on every retry', 'evt_3f1c9a'),
  header('X-Kabar-Event', 'The event name', 'message.received'),
  header('X-Kabar-Timestamp', 'When this attempt was signed, unix seconds', '1764590000'),
  header('X-Kabar-Signature', '`sha256=` + hex HMAC-SHA256(secret, `<timestamp>.<body>`)', 'sha256=9c1f…'),
  header('X-Hub-Signature-256', '`sha256=` + hex HMAC-SHA256(secret, body)', 'sha256=4b7e…'),
  header('Authorization', '`Bearer <webhookToken>` when the session has one (the Laravel surface stores it)', 'Bearer backend-token', false),
];

type JsonSchema = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };

export function webhooksSection(): Record<string, unknown> {
  const entries = SessionEvent.options.map((variant) => {
    const name = variant.shape.name.value;
    const schema = z.toJSONSchema(variant, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
    const { name: _name, ...dataProperties } = schema.properties ?? {};
    const data = { type: 'object', properties: dataProperties, required: (schema.required ?? []).filter((r) => r !== 'name') };
    const envelope = {
      type: 'object',
      required: ['id', 'event', 'sessionId', 'timestamp', 'data'],
      properties: {
        id: { type: 'string', description: 'The event id (X-Kabar-Event-Id)' },
        event: { type: 'string', const: name },
        sessionId: { type: 'string' },
        timestamp: { type: 'integer', description: 'When it happened, epoch ms' },
        data,
      },
    };
    return [
      name,
      {
        post: {
          summary: `${name} event`,
          description: SIGNING,
          tags: ['Webhooks'],
          parameters: HEADERS,
          requestBody: { required: true, content: { 'application/json': { schema: envelope } } },
          responses: { 200: { description: 'Any 2xx acknowledges the event' }, 500: { description: 'Anything else: retried with backoff, then dead-lettered' } },
        },
      },
    ] as const;
  });
  return Object.fromEntries(entries);
}
