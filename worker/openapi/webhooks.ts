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

const SUMMARIES: Record<SessionEvent['name'], string> = {
  qr: 'A QR code to scan (live stream and webhooks only; the event log keeps no QR)',
  'pairing.code': 'A pairing code to type on the phone',
  'connection.update': "The session's status changed; `code` says why it is not WORKING",
  'message.received': 'A message arrived: text, media, location, contacts or poll, in a direct chat or a group; `replyTo` when it quotes',
  'message.sent': 'A message was sent, through the API or typed on the phone',
  'message.status': 'A sent message moved to sent, delivered, read or failed; a queued one starts at queued (or ends cancelled)',
  'message.reaction': 'A contact reacted to a message (`targetId`); an empty emoji takes it back',
  'message.edited': 'A contact edited its message `messageId`; `text` is the new text',
  'message.revoked': 'A contact deleted its message `messageId` for everyone',
  'poll.vote': "A contact voted on the session's poll `pollId`: the options now chosen",
  'presence.update': 'A contact the session subscribed to is online, offline or typing',
  'group.joined': 'The session joined a group (created it, was added, or joined by invite)',
  'group.left': 'The session left a group or was removed from it',
  'group.updated': "A group's subject, description or settings changed",
  'group.participants': 'Members were added, removed, promoted or demoted, and by whom',
  'session.warning': "WhatsApp signalled a limit (rate-overlimit, reach-out time lock, restricted account): the session's queue is paused",
};

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
          summary: SUMMARIES[name],
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
