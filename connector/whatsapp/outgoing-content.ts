// Turns a send.message's OutgoingMessage into what Baileys' sendMessage takes, and into the record of it
// that message.sent carries. Media bytes come in as a stream, never a buffer: Baileys encrypts them to a
// temporary file as they arrive, so a 100 MiB document never sits in memory.
import type { Readable } from 'node:stream';
import type { AnyMessageContent } from '@whiskeysockets/baileys';
import type { OutgoingMessage, SentMedia } from '../../shared/protocol.ts';

export type MediaMessage = Extract<OutgoingMessage, { media: unknown }>;

/** Baileys content for a media message whose bytes `stream` yields. Image thumbnails come from sharp inside Baileys. */
export function mediaContent(message: MediaMessage, stream: Readable): AnyMessageContent {
  const upload = { stream };
  const { mimetype } = message.media;
  switch (message.type) {
    case 'image':
      return { image: upload, mimetype, ...(message.caption ? { caption: message.caption } : {}) };
    case 'video':
      return { video: upload, mimetype, ...(message.caption ? { caption: message.caption } : {}), ...(message.gif ? { gifPlayback: true } : {}) };
    case 'audio':
      return { audio: upload, mimetype, ...(message.voice ? { ptt: true } : {}) };
    case 'document':
      // WhatsApp shows "file" for a document without a name; Baileys would too.
      return { document: upload, mimetype, fileName: message.filename ?? 'file', ...(message.caption ? { caption: message.caption } : {}) };
    case 'sticker':
      return { sticker: upload, mimetype };
  }
}

/** What message.sent reports of a media message: never the link, never WhatsApp's media keys. */
export function sentMedia(message: MediaMessage): SentMedia {
  const { id, mimetype, size, sha256 } = message.media;
  return {
    id,
    mimetype,
    size,
    sha256,
    ...(message.type === 'document' ? { filename: message.filename ?? 'file' } : {}),
    ...(message.type === 'audio' && message.voice ? { voice: true } : {}),
    ...(message.type === 'video' && message.gif ? { gif: true } : {}),
  };
}
