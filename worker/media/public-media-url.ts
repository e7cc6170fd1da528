// The link to a received file that goes out in webhooks and the live stream: `/media/{mediaId}?expires=&signature=`
// on the Worker, usable without a key until it expires (MEDIA_URL_TTL_SECONDS). Signed with a key derived
// from CONNECTOR_SECRET under its own label, so neither this nor a connector media link can stand for the other.
import { hmacHex, sameHex } from '../../shared/hmac.ts';

const KEY_LABEL = 'kabar-public-media-url/1';

async function signature(secret: string, mediaId: string, expires: number): Promise<string> {
  return hmacHex(await hmacHex(secret, KEY_LABEL), `${mediaId}\n${expires}`);
}

/** `expires` is epoch ms. */
export async function signPublicMediaUrl(secret: string, origin: string, mediaId: string, expires: number): Promise<string> {
  return `${origin.replace(/\/+$/, '')}/media/${encodeURIComponent(mediaId)}?expires=${expires}&signature=${await signature(secret, mediaId, expires)}`;
}

export async function verifyPublicMediaUrl(secret: string, mediaId: string, expires: number, given: string, now: number): Promise<boolean> {
  if (!Number.isSafeInteger(expires) || expires < now) return false;
  return sameHex(await signature(secret, mediaId, expires), given);
}
