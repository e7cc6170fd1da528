// Session-key routes that act on messages, chats and contacts rather than send: PATCH/DELETE a message,
// read, typing and presence subscription on a chat, and the number check. Each acts only on the key's session.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { apiKeyAuth } from '../middleware/api-key-auth.ts';
import { ErrorSchema, text } from '../schemas.ts';
import { checkContacts, editMessage, markChatRead, revokeMessage, setChatPresence, subscribeChatPresence } from '../services/chat-actions.ts';
import { checkMessageText, parseRecipient } from '../services/messaging.ts';
import { throwOnInvalid } from '../validation.ts';

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }]));
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T, required = true) => ({ body: { content: { 'application/json': { schema } }, required } });
const keyed = [{ apiKey: [] }];
const commandErrors = errors(400, 401, 404, 409, 415, 429, 502, 503, 504);

const MessageParams = z.object({
  id: text('a message id').min(1, 'is required').max(128, 'must be at most 128 characters').openapi({ param: { name: 'id', in: 'path' }, example: '3EB0C767D71D7C8F2D6A' }),
});
const ChatParams = z.object({
  phone: text('a phone number').max(32, 'must be at most 32 characters').openapi({ param: { name: 'phone', in: 'path' }, example: '6281234567890' }),
});

const MessageKeyResult = z
  .object({ success: z.literal(true), result: z.object({ key: z.object({ remoteJid: z.string(), id: z.string(), fromMe: z.literal(true) }), messageTimestamp: z.number() }) })
  .openapi('MessageActionResult');
const Done = z.object({ success: z.literal(true), messageId: z.string().optional() }).openapi('ChatActionResult');
const Contact = z
  .object({
    exists: z.boolean(),
    phone: z.string(),
    jid: z.string(),
    lid: z.string().optional(),
    name: z.string().optional(),
    pictureUrl: z.string().optional(),
  })
  .openapi('Contact');

const editRoute = createRoute({
  method: 'patch',
  path: '/api/messages/{id}',
  summary: "Edit the text of a text message this session sent (WhatsApp's edit window: 15 minutes)",
  security: keyed,
  middleware: [apiKeyAuth('send')] as const,
  request: { params: MessageParams, ...body(z.object({ text: text('text').min(1, 'is required') }).strict().openapi('EditMessageRequest', { example: { text: 'Corrected: see you at 4' } })) },
  responses: { 200: json(MessageKeyResult, 'Edited'), ...commandErrors },
});

const revokeRoute = createRoute({
  method: 'delete',
  path: '/api/messages/{id}',
  summary: 'Delete a message this session sent, for everyone',
  security: keyed,
  middleware: [apiKeyAuth('send')] as const,
  request: { params: MessageParams },
  responses: { 200: json(MessageKeyResult, 'Deleted for everyone'), ...commandErrors },
});

const readRoute = createRoute({
  method: 'post',
  path: '/api/chats/{phone}/read',
  summary: 'Mark a chat read: up to a received message, else its latest',
  security: keyed,
  middleware: [apiKeyAuth('other')] as const,
  request: { params: ChatParams, ...body(z.object({ messageId: MessageParams.shape.id.optional() }).strict().openapi('ReadChatRequest'), false) },
  responses: { 200: json(Done, 'Marked read; `messageId` is the message the read receipt went for'), ...commandErrors },
});

const presenceRoute = createRoute({
  method: 'post',
  path: '/api/chats/{phone}/presence',
  summary: 'Show typing, recording (a voice note) or paused in a chat',
  security: keyed,
  middleware: [apiKeyAuth('other')] as const,
  request: {
    params: ChatParams,
    ...body(z.object({ state: z.enum(['typing', 'recording', 'paused'], { error: 'must be typing, recording or paused' }) }).strict().openapi('ChatPresenceRequest', { example: { state: 'typing' } })),
  },
  responses: { 200: json(Done, 'Shown'), ...commandErrors },
});

const subscribeRoute = createRoute({
  method: 'post',
  path: '/api/chats/{phone}/presence/subscribe',
  summary: "Receive the contact's presence (online, typing) as presence.update events",
  security: keyed,
  middleware: [apiKeyAuth('other')] as const,
  request: { params: ChatParams },
  responses: { 200: json(Done, 'Subscribed'), ...commandErrors },
});

const contactRoute = createRoute({
  method: 'get',
  path: '/api/contacts/{phone}',
  summary: 'Whether a number is on WhatsApp, with its JID, LID and profile picture',
  security: keyed,
  middleware: [apiKeyAuth('other')] as const,
  request: { params: ChatParams },
  responses: { 200: json(z.object({ success: z.literal(true) }).extend(Contact.shape), '`exists: false` for a number not on WhatsApp'), ...commandErrors },
});

const MAX_CHECK = 50;
const checkRoute = createRoute({
  method: 'post',
  path: '/api/contacts/check',
  summary: `Whether numbers are on WhatsApp, up to ${MAX_CHECK} at once`,
  security: keyed,
  middleware: [apiKeyAuth('other')] as const,
  request: {
    ...body(
      z
        .object({ phones: z.array(text('a phone number').max(32, 'must be at most 32 characters'), { error: 'must be a list of phone numbers' }).min(1, 'must not be empty').max(MAX_CHECK, `takes at most ${MAX_CHECK} numbers`) })
        .strict()
        .openapi('ContactsCheckRequest', { example: { phones: ['081234567890', '6289876543210'] } }),
    ),
  },
  responses: { 200: json(z.object({ success: z.literal(true), contacts: z.array(Contact) }), 'One answer per number, in the order asked'), ...commandErrors },
});

export const chatActionRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

const keyResult = (r: { messageId: string; remoteJid: string; timestamp: number }) => ({
  success: true as const,
  result: { key: { remoteJid: r.remoteJid, id: r.messageId, fromMe: true as const }, messageTimestamp: r.timestamp },
});

chatActionRoutes.openapi(editRoute, async (c) => {
  const { text: newText } = c.req.valid('json');
  checkMessageText(c.var.services.config, newText, 'text');
  return c.json(keyResult(await editMessage(c.var.services, c.var.sessionId, c.req.valid('param').id, newText)), 200);
});

chatActionRoutes.openapi(revokeRoute, async (c) => c.json(keyResult(await revokeMessage(c.var.services, c.var.sessionId, c.req.valid('param').id)), 200));

chatActionRoutes.openapi(readRoute, async (c) => {
  const chat = parseRecipient(c.var.services.config, c.req.valid('param').phone, 'phone');
  const messageId = (c.req.valid('json') as { messageId?: string } | undefined)?.messageId;
  const done = await markChatRead(c.var.services, c.var.sessionId, chat, messageId);
  return c.json({ success: true as const, ...(done.messageId ? { messageId: done.messageId } : {}) }, 200);
});

chatActionRoutes.openapi(presenceRoute, async (c) => {
  const chat = parseRecipient(c.var.services.config, c.req.valid('param').phone, 'phone');
  await setChatPresence(c.var.services, c.var.sessionId, chat, c.req.valid('json').state);
  return c.json({ success: true as const }, 200);
});

chatActionRoutes.openapi(subscribeRoute, async (c) => {
  const chat = parseRecipient(c.var.services.config, c.req.valid('param').phone, 'phone');
  await subscribeChatPresence(c.var.services, c.var.sessionId, chat);
  return c.json({ success: true as const }, 200);
});

chatActionRoutes.openapi(contactRoute, async (c) => {
  const phone = parseRecipient(c.var.services.config, c.req.valid('param').phone, 'phone');
  const [contact] = await checkContacts(c.var.services, c.var.sessionId, [phone]);
  return c.json({ success: true as const, ...contact! }, 200);
});

chatActionRoutes.openapi(checkRoute, async (c) => {
  const phones = c.req.valid('json').phones.map((raw, i) => parseRecipient(c.var.services.config, raw, `phones.${i}`));
  const contacts = await checkContacts(c.var.services, c.var.sessionId, [...new Set(phones)]);
  // Asked twice, answered twice: the answer follows the question's order.
  return c.json({ success: true as const, contacts: phones.map((p) => contacts.find((k) => k.phone === p)!) }, 200);
});
