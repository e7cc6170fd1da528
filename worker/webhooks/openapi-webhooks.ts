// The webhook events in the OpenAPI document's `webhooks` section: one entry per event name, its body the
// envelope webhooks and the live stream share (events/envelope.ts) with the event's own fields as `data`.
// Derived from the protocol's SessionEvent union, so a new event is documented as soon as it exists.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { SessionEvent } from '../../shared/protocol.ts';

const SUMMARIES: Record<SessionEvent['name'], string> = {
  qr: 'A QR code to scan (live stream and webhooks only; the event log keeps no QR)',
  'pairing.code': 'A pairing code to type on the phone',
  'connection.update': "The session's status changed; `code` says why it is not WORKING",
  'message.received': 'A message arrived: text, media, location, contacts or poll; `replyTo` when it quotes',
  'message.sent': 'A message was sent, through the API or typed on the phone',
  'message.status': 'A sent message moved to sent, delivered, read or failed',
  'message.reaction': 'A contact reacted to a message (`targetId`); an empty emoji takes it back',
  'message.edited': 'A contact edited its message `messageId`; `text` is the new text',
  'message.revoked': 'A contact deleted its message `messageId` for everyone',
  'poll.vote': "A contact voted on the session's poll `pollId`: the options now chosen",
  'presence.update': 'A contact the session subscribed to is online, offline or typing',
};

type Registry = OpenAPIHono['openAPIRegistry'];

export function registerWebhookDocs(registry: Registry): void {
  for (const option of SessionEvent.options) {
    const name = option.shape.name.value;
    const envelope = z.object({
      id: z.string(),
      event: z.literal(name),
      sessionId: z.string(),
      timestamp: z.number().int(),
      data: z.object(Object.fromEntries(Object.entries(option.shape).filter(([key]) => key !== 'name'))),
    });
    registry.registerWebhook({
      method: 'post',
      path: name,
      summary: SUMMARIES[name],
      request: { body: { content: { 'application/json': { schema: envelope } }, required: true } },
      responses: { 200: { description: 'Any 2xx acknowledges the delivery; anything else is retried' } },
    });
  }
}
