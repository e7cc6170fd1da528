// A contact receiving a media message, as a WhatsApp phone does: it fetches the blob at the message's
// directPath from the media host, checks fileEncSha256 and the MAC, decrypts with the keys of the
// message's type, and checks fileSha256 and fileLength. Baileys checks none of this on download, so a
// mistake in what it uploads or announces shows up here, as an error in the inbox.
import { normalizeMessageContent, type proto } from '@whiskeysockets/baileys';
import type { InboxMedia } from './inbox.ts';
import { decryptMedia, mediaKeys, type MediaType } from './media-crypto.ts';
import type { MediaHost } from './media-server.ts';

type MediaContent = proto.Message.IImageMessage &
  proto.Message.IVideoMessage &
  proto.Message.IAudioMessage &
  proto.Message.IDocumentMessage &
  proto.Message.IStickerMessage;

const FIELDS: [MediaType, 'imageMessage' | 'videoMessage' | 'audioMessage' | 'documentMessage' | 'stickerMessage'][] = [
  ['image', 'imageMessage'],
  ['video', 'videoMessage'],
  ['audio', 'audioMessage'],
  ['document', 'documentMessage'],
  ['sticker', 'stickerMessage'],
];

/** The media a message carries (inside any ephemeral, view-once or document-with-caption wrapper), if any. */
export function mediaContentOf(message: proto.IMessage): { type: MediaType; content: MediaContent } | undefined {
  const inner = normalizeMessageContent(message);
  for (const [type, field] of FIELDS) {
    const content = inner?.[field];
    if (content) return { type, content: content as MediaContent };
  }
  return undefined;
}

/** What the message says about its media, before the bytes are fetched. */
export function describedMedia(type: MediaType, content: MediaContent): InboxMedia {
  return {
    mimetype: content.mimetype ?? '',
    ...(content.caption ? { caption: content.caption } : {}),
    ...(type === 'document' && content.fileName ? { filename: content.fileName } : {}),
    ...(type === 'audio' ? { voice: !!content.ptt } : {}),
    ...(type === 'video' ? { gif: !!content.gifPlayback } : {}),
  };
}

function bytes(value: Uint8Array | string | null | undefined): Buffer | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.from(value);
}

/** The direct path to fetch: the message's own, or the path of a url on this media host. */
function directPathOf(content: MediaContent, media: MediaHost): string | undefined {
  if (content.directPath) return content.directPath;
  if (!content.url) return undefined;
  try {
    const url = new URL(content.url);
    return url.host === media.hostname ? `${url.pathname}${url.search}` : undefined;
  } catch {
    return undefined;
  }
}

/** Fetches, checks and decrypts the media; the result goes into the contact's inbox. */
export async function receiveMedia(media: MediaHost | undefined, type: MediaType, content: MediaContent): Promise<InboxMedia> {
  const described = describedMedia(type, content);
  const fail = (error: string): InboxMedia => ({ ...described, error });
  if (!media) return fail('the simulator has no media host');
  const mediaKey = bytes(content.mediaKey);
  const fileSha256 = bytes(content.fileSha256);
  const fileEncSha256 = bytes(content.fileEncSha256);
  if (mediaKey?.length !== 32) return fail('the message has no 32-byte mediaKey');
  if (!fileSha256 || !fileEncSha256 || content.fileLength === null || content.fileLength === undefined) {
    return fail('the message lacks fileSha256, fileEncSha256 or fileLength');
  }
  const directPath = directPathOf(content, media);
  if (!directPath) return fail('the message has no directPath on this media host');
  const blob = await media.store.open(directPath);
  if ('status' in blob) return fail(`the media host answered ${blob.status} for ${directPath}`);
  const check = await decryptMedia(blob.stream, mediaKeys(mediaKey, type), {
    fileSha256,
    fileEncSha256,
    fileLength: Number(content.fileLength),
  });
  return check.ok ? { ...described, size: check.size, sha256: check.sha256 } : fail(check.error);
}
