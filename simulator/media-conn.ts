// The `w:m` media_conn iq: where to upload media and with what auth. Baileys takes the first host as its
// media host, `auth` for every upload URL, and caches the answer for `ttl` seconds (Socket/messages-send.js
// refreshMediaConn); it does not enforce maxContentLengthBytes.
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { MediaHost } from './media-server.ts';
import { MAX_MEDIA_BYTES } from './media-store.ts';

const TTL_SECONDS = 300;

export function mediaConnNode(media: MediaHost): BinaryNode {
  return {
    tag: 'media_conn',
    attrs: { auth: media.auth, ttl: String(TTL_SECONDS) },
    content: [{ tag: 'host', attrs: { hostname: media.hostname, maxContentLengthBytes: String(MAX_MEDIA_BYTES) } }],
  };
}
