// Reads what a received media message announces (kind, mimetype, size, SHA-256, caption, file name, voice or
// GIF) from its Baileys payload, and makes its message.received event. The bytes follow through a media job.
import { normalizeMessageContent, type WAMessage, type proto } from '@whiskeysockets/baileys';
import type { MediaKind, ReceivedMedia } from '../../shared/protocol.ts';
import type { IncomingText } from './events.ts';
import { timestampMs } from './events.ts';

/** What WhatsApp announced of the media, before its bytes are fetched. `sha256` is hex, when it was given. */
export type AnnouncedMedia = Omit<ReceivedMedia, 'id' | 'error' | 'sha256'> & { kind: MediaKind; sha256?: string };

const DEFAULT_MIMETYPE: Record<MediaKind, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  document: 'application/octet-stream',
  sticker: 'image/webp',
};

type MediaFields = {
  mimetype?: string | null;
  fileLength?: number | Long | null;
  fileSha256?: Uint8Array | null;
  caption?: string | null;
};
type Long = { toNumber(): number };

/** The media of a message (also inside disappearing, view-once and captioned-document wrappers), or null. */
export function announcedMedia(message: proto.IMessage | null | undefined): AnnouncedMedia | null {
  const content = normalizeMessageContent(message);
  if (!content) return null;
  const found: [MediaKind, MediaFields, Partial<AnnouncedMedia>] | null = content.imageMessage
    ? ['image', content.imageMessage, {}]
    : content.videoMessage
      ? ['video', content.videoMessage, content.videoMessage.gifPlayback ? { gif: true } : {}]
      : content.ptvMessage
        ? ['video', content.ptvMessage, {}]
        : content.audioMessage
          ? ['audio', content.audioMessage, content.audioMessage.ptt ? { voice: true } : {}]
          : content.documentMessage
            ? ['document', content.documentMessage, content.documentMessage.fileName ? { filename: content.documentMessage.fileName.slice(0, 255) } : {}]
            : content.stickerMessage
              ? ['sticker', content.stickerMessage, {}]
              : null;
  if (!found) return null;
  const [kind, fields, extra] = found;
  const length = fields.fileLength;
  const size = typeof length === 'number' ? length : length ? length.toNumber() : 0;
  return {
    kind,
    mimetype: (fields.mimetype || DEFAULT_MIMETYPE[kind]).slice(0, 255),
    size: Number.isSafeInteger(size) && size >= 0 ? size : 0,
    ...(fields.fileSha256?.length === 32 ? { sha256: Buffer.from(fields.fileSha256).toString('hex') } : {}),
    ...(fields.caption ? { caption: fields.caption.slice(0, 65_536) } : {}),
    ...extra,
  };
}

/** The message.received event of a media message, without its `media` (the job adds it once the bytes are stored). */
export function incomingMediaEvent(msg: WAMessage, media: AnnouncedMedia, phone: string | null, lid: string | undefined, now: number): IncomingText {
  const event: IncomingText = {
    name: 'message.received',
    messageId: msg.key.id ?? '',
    from: phone,
    text: media.caption ?? '',
    timestamp: timestampMs(msg.messageTimestamp, now),
    type: media.kind,
  };
  if (lid) event.fromLid = lid.slice(0, 64);
  if (msg.pushName) event.pushName = msg.pushName.slice(0, 256);
  return event;
}
