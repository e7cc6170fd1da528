// The request body of POST /api/messages: one zod union keyed on `type`, the single source of validation,
// request types and the OpenAPI document (an example per type).
import { z } from '@hono/zod-openapi';
import { GroupJid } from '../../shared/protocol.ts';
import { PhoneInputSchema, text } from '../schemas.ts';

/** The most bytes `data` (base64 in the JSON body) may decode to; larger files go through POST /api/media. */
export const INLINE_MEDIA_MAX_BYTES = 5 * 1024 * 1024;

/** Room for the base64 of the largest inline file plus the rest of the message. */
export const MESSAGE_BODY_MAX_BYTES = Math.ceil(INLINE_MEDIA_MAX_BYTES / 3) * 4 + 256 * 1024;

export const MediaIdSchema = text('a media id').regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be a media id from POST /api/media');

/** A phone number as people type it (normalised by the service), or a group JID. */
const To = z
  .union([text('a phone number or group JID').min(1, 'is required').max(64, 'must be at most 64 characters'), z.number().int().nonnegative().transform(String)], {
    error: (issue) => (issue.input === undefined ? 'is required' : 'must be a phone number or a group JID'),
  })
  .openapi({ type: 'string', description: 'A phone number ("081234567890", "6281234567890") or a group JID ("120363025246125486@g.us")' });

const Common = {
  to: To,
  /** A message to quote, by its WhatsApp id; the connector must still have it. */
  replyTo: text('a message id').min(1).max(128, 'must be at most 128 characters').optional().openapi({ description: 'WhatsApp id of a message to quote' }),
  mentions: z
    .array(PhoneInputSchema, { error: 'must be a list of phone numbers' })
    .max(1_024, 'must be at most 1024 phones')
    .optional()
    .openapi({ description: 'Phones to @mention (in a group); write each as "@<phone>" in the text for WhatsApp to show it', example: ['6289876543210'] }),
  queue: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .openapi({ description: "true: accept it into the session's durable queue (202) and send it at the session's pace; not for media" }),
};

const sources = ['url', 'mediaId', 'data'] as const;

/** Exactly one place the bytes come from. */
function oneSource(media: Partial<Record<(typeof sources)[number], unknown>>, context: z.RefinementCtx): void {
  const given = sources.filter((s) => media[s] !== undefined);
  if (given.length !== 1) {
    context.addIssue({ code: 'custom', message: given.length === 0 ? 'needs one of url, mediaId or data' : `takes only one of ${given.join(', ')}` });
  }
}

const mediaFields = {
  // https only, checked with the address itself by the service (the development switch also allows http).
  url: z
    .url({ protocol: /^https?$/, error: 'must be an https:// URL' })
    .max(2048, 'must be at most 2048 characters')
    .optional()
    .openapi({ description: 'An https:// URL, fetched by the gateway itself (redirects too); private and loopback addresses are refused' }),
  mediaId: MediaIdSchema.optional().openapi({ description: 'An upload from POST /api/media (this session only)' }),
  data: z
    .base64({ error: 'must be base64' })
    .max(Math.ceil(INLINE_MEDIA_MAX_BYTES / 3) * 4, `must decode to at most ${INLINE_MEDIA_MAX_BYTES} bytes; upload larger files with POST /api/media`)
    .optional()
    .openapi({ description: `The bytes, base64 (at most ${INLINE_MEDIA_MAX_BYTES / 1024 / 1024} MiB decoded)` }),
  mimetype: text('a MIME type')
    .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, 'must be a MIME type like image/jpeg')
    .max(255, 'must be at most 255 characters')
    .optional()
    .openapi({ description: 'Optional: sniffed from the bytes; given, it must agree with them and with the type' }),
};

const caption = text('text').max(65_536, 'is too long').optional();

const media = <T extends z.ZodRawShape>(extra: T) => z.object({ ...mediaFields, ...extra }).strict().superRefine(oneSource);

export const ImageContent = media({ caption });
export const VideoContent = media({ caption, gif: z.boolean({ error: 'must be true or false' }).optional().openapi({ description: 'Plays as a GIF' }) });
export const AudioContent = media({ voice: z.boolean({ error: 'must be true or false' }).optional().openapi({ description: 'A voice note (PTT)' }) });
export const DocumentContent = media({ caption, filename: text('a file name').min(1, 'must not be empty').max(255, 'must be at most 255 characters').optional() });
export const StickerContent = media({});

const messageId = text('a message id').min(1, 'is required').max(128, 'must be at most 128 characters');
const number = (what: string, min: number, max: number) =>
  z.number({ error: (issue) => (issue.input === undefined ? 'is required' : `must be ${what}`) }).min(min, `must be ${what}`).max(max, `must be ${what}`);

export const LocationContent = z
  .object({
    latitude: number('a latitude from -90 to 90', -90, 90),
    longitude: number('a longitude from -180 to 180', -180, 180),
    name: text('text').max(1000, 'must be at most 1000 characters').optional(),
    address: text('text').max(1000, 'must be at most 1000 characters').optional(),
  })
  .strict();

/** A card with phones (the gateway writes the vCard) or the user's own vCard text. */
const ContactCard = z
  .object({
    name: text('a name').min(1, 'is required').max(256, 'must be at most 256 characters'),
    phones: z.array(text('a phone number').regex(/^\+?[0-9 ()-]{5,32}$/, 'must be a phone number'), { error: 'must be a list of phone numbers' }).min(1, 'must not be empty').max(10).optional(),
    organization: text('text').max(256, 'must be at most 256 characters').optional(),
    email: text('an email address').max(256, 'must be at most 256 characters').optional(),
    vcard: text('vCard text').startsWith('BEGIN:VCARD', 'must start with BEGIN:VCARD').max(10_000, 'must be at most 10000 characters').optional(),
  })
  .strict()
  .refine((card) => (card.phones === undefined) !== (card.vcard === undefined), 'needs either phones or vcard, not both');
export const ContactsContent = z.array(ContactCard, { error: 'must be a list of contact cards' }).min(1, 'must not be empty').max(20, 'must be at most 20 cards');

export const ReactionContent = z
  .object({ messageId, emoji: text('an emoji').max(32, 'must be one emoji').openapi({ description: 'An empty string removes the reaction' }) })
  .strict();

export const PollContent = z
  .object({
    name: text('text').min(1, 'is required').max(256, 'must be at most 256 characters'),
    options: z.array(text('text').min(1, 'must not be empty').max(100, 'must be at most 100 characters'), { error: 'must be a list of options' }).min(2, 'needs at least 2 options').max(12, 'takes at most 12 options'),
    selectableCount: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(0).max(12).default(1).openapi({ description: 'How many options a voter may pick; 0 for any number' }),
  })
  .strict()
  .refine((poll) => poll.selectableCount <= poll.options.length, 'selectableCount is more than the options')
  .refine((poll) => new Set(poll.options).size === poll.options.length, 'options must differ');

const variant = <K extends string, T extends z.ZodType>(type: K, content: T, example: unknown) =>
  z
    .object({ ...Common, type: z.literal(type), [type]: content } as { to: typeof To; replyTo: (typeof Common)['replyTo']; mentions: (typeof Common)['mentions']; queue: (typeof Common)['queue']; type: z.ZodLiteral<K> } & {
      [P in K]: T;
    })
    .strict()
    .openapi(`${type[0]!.toUpperCase()}${type.slice(1)}MessageRequest`, { example: { to: '6281234567890', type, [type]: example } });

export const MessageRequest = z
  .discriminatedUnion(
    'type',
    [
      variant('text', z.object({ body: text('text').min(1, 'is required') }).strict(), { body: 'Halo 👋' }),
      variant('image', ImageContent, { url: 'https://example.com/photo.jpg', caption: 'Our new shop' }),
      variant('video', VideoContent, { mediaId: 'med_8f14e45fceea167a5a36', caption: 'Tour', gif: false }),
      variant('audio', AudioContent, { mediaId: 'med_8f14e45fceea167a5a36', voice: true }),
      variant('document', DocumentContent, { url: 'https://example.com/invoice.pdf', filename: 'invoice-42.pdf', caption: 'Invoice 42' }),
      variant('sticker', StickerContent, { data: 'UklGRiQAAABXRUJQVlA4IBgAAAAwAQCdASoBAAEAAQAcJaQAA3AA/v3AgAA=' }),
      variant('location', LocationContent, { latitude: -6.1754, longitude: 106.8272, name: 'Monas', address: 'Gambir, Jakarta Pusat' }),
      variant('contacts', ContactsContent, [{ name: 'Budi Santoso', phones: ['+62 812-3456-7890'], organization: 'Toko Budi' }]),
      variant('reaction', ReactionContent, { messageId: '3EB0C767D71D7C8F2D6A', emoji: '👍' }),
      variant('poll', PollContent, { name: 'Lunch?', options: ['Nasi goreng', 'Mie ayam', 'Sate'], selectableCount: 1 }),
    ],
    { error: (issue) => (issue.input === undefined ? 'is required' : 'must be one of text, image, video, audio, document, sticker, location, contacts, reaction, poll') },
  )
  .openapi('MessageRequest');
export type MessageRequest = z.infer<typeof MessageRequest>;
export type MediaRequest = Extract<MessageRequest, { type: 'image' | 'video' | 'audio' | 'document' | 'sticker' }>;

export const MessageResult = z
  .object({
    success: z.literal(true),
    result: z.object({
      key: z.object({ remoteJid: z.string(), id: z.string(), fromMe: z.literal(true) }),
      type: z.string(),
      messageTimestamp: z.number(),
    }),
  })
  .openapi('MessageResult');

/** Group JIDs pass as they are; anything else is a phone number to normalise. */
export function isGroupJid(to: string): boolean {
  return GroupJid.safeParse(to).success;
}
