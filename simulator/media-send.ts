// A contact sends media, as a WhatsApp phone does: a fresh mediaKey, the bytes encrypted and uploaded to
// the media host, and an `…Message` with the real hashes, MAC and direct path, sent as `type="media"` with
// the `<enc mediatype>` Baileys would put there. The phone keeps its copy, to re-upload it when asked.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { proto } from '@whiskeysockets/baileys';
import { InvalidScenario } from './errors.ts';
import { encryptMedia, mediaKeys, type MediaType } from './media-crypto.ts';
import { assertCanSend, contactSendMessage, newMessageId, type ContactSendOptions } from './messaging.ts';
import type { World } from './world.ts';

export type ContactMedia = {
  type: MediaType;
  data: Buffer;
  mimetype?: string | undefined;
  /** image, video and document only. */
  caption?: string | undefined;
  /** document only. */
  filename?: string | undefined;
  /** audio only: a voice note (PTT). */
  voice?: boolean | undefined;
  /** video only: plays as a GIF. */
  gif?: boolean | undefined;
};

/** The mimetypes WhatsApp clients give each type when none is named (Baileys' defaults too). */
const DEFAULT_MIMETYPE: Record<MediaType, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  document: 'application/octet-stream',
  sticker: 'image/webp',
};

function assertFits(media: ContactMedia): void {
  const { type } = media;
  if (media.caption !== undefined && !['image', 'video', 'document'].includes(type)) throw new InvalidScenario(`a ${type} has no caption`);
  if (media.filename !== undefined && type !== 'document') throw new InvalidScenario('only a document has a filename');
  if (media.voice !== undefined && type !== 'audio') throw new InvalidScenario('only audio can be a voice note');
  if (media.gif !== undefined && type !== 'video') throw new InvalidScenario('only a video can play as a GIF');
}

/** Encrypts and uploads `data` under a fresh mediaKey; the announced fields of the message. */
async function upload(world: World, media: ContactMedia): Promise<proto.Message.IImageMessage & { mediaKey: Buffer; directPath: string }> {
  const host = world.media;
  if (!host) throw new InvalidScenario('the simulator has no media host');
  const mediaKey = randomBytes(32);
  let digest: Awaited<ReturnType<typeof encryptMedia>> | undefined;
  const directPath = await host.store.create(media.type, async (path) => {
    const file = createWriteStream(path);
    const finished = once(file, 'finish');
    digest = await encryptMedia([media.data], mediaKeys(mediaKey, media.type), async (chunk) => {
      if (!file.write(chunk)) await once(file, 'drain');
    });
    file.end();
    await finished;
  });
  return {
    url: `https://${host.hostname}${directPath}`,
    directPath,
    mediaKey,
    fileSha256: digest!.fileSha256,
    fileEncSha256: digest!.fileEncSha256,
    fileLength: digest!.fileLength,
    mediaKeyTimestamp: Math.floor(Date.now() / 1000),
  };
}

function messageOf(media: ContactMedia, uploaded: Awaited<ReturnType<typeof upload>>): proto.IMessage {
  const mimetype = media.mimetype ?? DEFAULT_MIMETYPE[media.type];
  const caption = media.caption ? { caption: media.caption } : {};
  switch (media.type) {
    case 'image':
      return { imageMessage: { ...uploaded, mimetype, ...caption } };
    case 'video':
      return { videoMessage: { ...uploaded, mimetype, ...caption, ...(media.gif ? { gifPlayback: true } : {}) } };
    case 'audio':
      return { audioMessage: { ...uploaded, mimetype, ptt: !!media.voice } };
    case 'sticker':
      return { stickerMessage: { ...uploaded, mimetype } };
    case 'document': {
      const documentMessage = { ...uploaded, mimetype, fileName: media.filename ?? 'file', ...caption };
      // A phone wraps a captioned document; Baileys unwraps it (normalizeMessageContent).
      return media.caption ? { documentWithCaptionMessage: { message: { documentMessage } } } : { documentMessage };
    }
  }
}

/** The `<enc mediatype>` a sender puts on the stanza (Baileys getMediaType): GIFs and voice notes apart. */
function mediatypeOf(media: ContactMedia): string {
  if (media.type === 'video' && media.gif) return 'gif';
  if (media.type === 'audio' && media.voice) return 'ptt';
  return media.type;
}

/** Contact `from` sends `media` to the devices of phone `to`. */
export async function contactSendMedia(world: World, from: string, to: string, media: ContactMedia, options: ContactSendOptions = {}): Promise<{ id: string }> {
  assertCanSend(world, from, to, options.device);
  assertFits(media);
  const uploaded = await upload(world, media);
  const id = newMessageId();
  await world.media!.store.keepPhoneCopy(id, { type: media.type, mediaKey: uploaded.mediaKey, directPath: uploaded.directPath });
  return contactSendMessage(world, from, to, messageOf(media, uploaded), options, id, mediatypeOf(media));
}
