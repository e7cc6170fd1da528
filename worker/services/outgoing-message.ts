// POST /api/messages as a service: checks what zod cannot (the recipient, text limits, what the bytes are),
// gets a media message's file into R2 (an upload by id, inline base64, or a URL the Worker fetches itself),
// and sends the protocol's OutgoingMessage through the hub with a signed link to those bytes.
import { MEDIA_LINK_MAX_TTL_MS, signMediaLink } from '../../shared/media-link.ts';
import type { MediaKind, OutgoingMessage, SendMessageResult } from '../../shared/protocol.ts';
import { ApiError } from '../errors.ts';
import { mimetypeForKind, acceptedFor, sameFormat } from '../media/sniff.ts';
import { fetchUserUrl } from '../media/user-url.ts';
import type { MediaRequest, MessageRequest } from '../routes/message-request.ts';
import { parsePhones } from './groups.ts';
import { discardMedia, findMedia, storeMedia, type StoredMedia } from './media.ts';
import { checkMessageText, sendMessage } from './messaging.ts';
import { parseMessageRecipient } from './recipient.ts';
import type { Services } from './ports.ts';
import { buildVcard } from './vcard.ts';

/** Every kind but media, whose file must first be stored. */
export async function outgoing(s: Services, request: Exclude<MessageRequest, MediaRequest>): Promise<OutgoingMessage> {
  if (request.type === 'text') {
    checkMessageText(s.config, request.text.body, 'text.body');
    return { type: 'text', text: request.text.body };
  }
  switch (request.type) {
    case 'location':
      return { type: 'location', ...request.location };
    case 'contacts':
      return { type: 'contacts', contacts: request.contacts.map((card) => ({ name: card.name, vcard: card.vcard ?? buildVcard({ ...card, phones: card.phones ?? [] }) })) };
    case 'reaction':
      return { type: 'reaction', ...request.reaction };
    case 'poll':
      return { type: 'poll', ...request.poll };
  }
}

/** How long the Worker waits for a user's URL to deliver the whole file. */
const URL_FETCH_TIMEOUT_MS = 120_000;

export interface SendContext {
  /** The Worker's public origin, for the link the connector reads the bytes from. */
  origin: string;
  /** For `url` media: the Worker's own fetch. */
  fetch: typeof fetch;
}

type MediaContent = { url?: string | undefined; mediaId?: string | undefined; data?: string | undefined; mimetype?: string | undefined };

function invalid(field: string, message: string): ApiError {
  return new ApiError('VALIDATION_FAILED', `Invalid request: ${field} ${message}`, { details: [{ field, message }] });
}

function kindCheck(kind: MediaKind): (mimetype: string) => void {
  return (mimetype) => {
    if (kind === 'document' || mimetypeForKind(kind, mimetype)) return;
    throw invalid(`${kind}`, `must be ${acceptedFor(kind).join(', ')}; the file is ${mimetype}`);
  };
}

function lastSegment(url: string): string | undefined {
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  return name && name.length <= 255 && !/[\u0000-\u001f\u007f\\]/.test(name) ? name : undefined;
}

/** The file of a media request, and whether it was stored for this send alone (then it goes if the send fails). */
async function fileFor(s: Services, sessionId: string, request: MediaRequest, context: SendContext): Promise<{ stored: StoredMedia; ownCopy: boolean }> {
  const kind = request.type;
  const content = (request as Record<string, unknown>)[kind] as MediaContent & { filename?: string };
  const check = kindCheck(kind);
  if (content.mediaId) {
    const stored = await findMedia(s, sessionId, content.mediaId);
    if (content.mimetype && !sameFormat(content.mimetype, stored.mimetype)) throw invalid(`${kind}.mimetype`, `is ${content.mimetype}, but the upload is ${stored.mimetype}`);
    check(stored.mimetype);
    return { stored, ownCopy: false };
  }
  const filename = kind === 'document' ? content.filename : undefined;
  if (content.data) {
    const binary = atob(content.data);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const stored = await storeMedia(s, sessionId, { body: new Blob([bytes]).stream(), mimetype: content.mimetype, filename, length: bytes.length, direction: 'out', check });
    return { stored, ownCopy: true };
  }
  const response = await fetchUserUrl(content.url!, `${kind}.url`, {
    allowPrivate: s.config.MEDIA_ALLOW_PRIVATE_URLS,
    timeoutMs: URL_FETCH_TIMEOUT_MS,
    fetch: context.fetch,
  });
  const length = response.headers.get('content-length');
  try {
    const stored = await storeMedia(s, sessionId, {
      body: response.body!,
      mimetype: content.mimetype ?? response.headers.get('content-type') ?? undefined,
      filename: filename ?? (kind === 'document' ? lastSegment(response.url || content.url!) : undefined),
      length: length === null ? undefined : Number(length),
      direction: 'out',
      check,
    });
    return { stored, ownCopy: true };
  } catch (error) {
    if (error instanceof ApiError) throw error;
    // The upload was aborted with the stream; what broke was the address's answer.
    throw new ApiError('MEDIA_UNAVAILABLE', `Could not fetch ${kind}.url: the download from ${content.url} broke off`);
  }
}

async function mediaMessage(s: Services, sessionId: string, request: MediaRequest, stored: StoredMedia, origin: string): Promise<OutgoingMessage> {
  const kind = request.type;
  const content = (request as Record<string, unknown>)[kind] as { caption?: string; filename?: string; voice?: boolean; gif?: boolean };
  const url = await signMediaLink(s.config.CONNECTOR_SECRET, origin, 'GET', sessionId, stored.mediaId, Date.now() + MEDIA_LINK_MAX_TTL_MS);
  const filename = kind === 'document' ? (content.filename ?? stored.filename) : undefined;
  return {
    type: kind,
    media: { id: stored.mediaId, url, mimetype: mimetypeForKind(kind, stored.mimetype)!, size: stored.size, sha256: stored.sha256 },
    ...(content.caption ? { caption: content.caption } : {}),
    ...(filename ? { filename } : {}),
    ...(content.voice !== undefined ? { voice: content.voice } : {}),
    ...(content.gif !== undefined ? { gif: content.gif } : {}),
  };
}

const MEDIA_TYPES: ReadonlySet<string> = new Set(['image', 'video', 'audio', 'document', 'sticker']);

export function isMediaRequest(request: MessageRequest): request is MediaRequest {
  return MEDIA_TYPES.has(request.type);
}

export async function sendRequestedMessage(s: Services, sessionId: string, request: MessageRequest, context: SendContext): Promise<SendMessageResult> {
  const to = parseMessageRecipient(s.config, request.to, 'to');
  const mentions = request.mentions?.length ? parsePhones(s, request.mentions, 'mentions') : undefined;
  if (!isMediaRequest(request)) return sendMessage(s, sessionId, to, await outgoing(s, request), request.replyTo, mentions);
  const caption = ((request as Record<string, unknown>)[request.type] as { caption?: string }).caption;
  if (caption !== undefined && caption.length > s.config.MAX_MESSAGE_LENGTH) throw invalid(`${request.type}.caption`, `must be at most ${s.config.MAX_MESSAGE_LENGTH} characters`);
  const { stored, ownCopy } = await fileFor(s, sessionId, request, context);
  try {
    return await sendMessage(s, sessionId, to, await mediaMessage(s, sessionId, request, stored, context.origin), request.replyTo, mentions);
  } catch (error) {
    // A file fetched or decoded for this send alone has no other use: no id was ever shown for it.
    if (ownCopy) await discardMedia(s, sessionId, stored.mediaId).catch(() => {});
    throw error;
  }
}
