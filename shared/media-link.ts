// Media bytes never ride hub frames: the connector reads and writes them through the Worker's
// `/connector/media/{sessionId}/{mediaId}` endpoint with a short-lived link both sides can sign, as both know
// CONNECTOR_SECRET. The hub hands out GET links for bytes to send; the connector signs its own PUT links for
// media it received. The method is signed, so a GET link cannot be replayed as a PUT.
import { hmacHex, sameHex } from './hmac.ts';

export type MediaLinkMethod = 'GET' | 'PUT';

/** The longest a link may live: a 100 MiB transfer on a slow VPS link, with room. */
export const MEDIA_LINK_MAX_TTL_MS = 30 * 60_000;

/** The path under the Worker's origin, without the query. */
export function mediaLinkPath(sessionId: string, mediaId: string): string {
  return `/connector/media/${encodeURIComponent(sessionId)}/${encodeURIComponent(mediaId)}`;
}

function mediaLinkSignature(secret: string, method: MediaLinkMethod, sessionId: string, mediaId: string, expires: number): Promise<string> {
  return hmacHex(secret, `kabar-media/1\n${method}\n${sessionId}\n${mediaId}\n${expires}`);
}

/** A full link: `${origin}/connector/media/{sessionId}/{mediaId}?expires=…&signature=…`. */
export async function signMediaLink(
  secret: string,
  origin: string,
  method: MediaLinkMethod,
  sessionId: string,
  mediaId: string,
  expires: number,
): Promise<string> {
  const signature = await mediaLinkSignature(secret, method, sessionId, mediaId, expires);
  return `${origin.replace(/\/+$/, '')}${mediaLinkPath(sessionId, mediaId)}?expires=${expires}&signature=${signature}`;
}

/** True when `signature` was made for this method, session, media and expiry, and the link has not expired. */
export async function verifyMediaLink(
  secret: string,
  method: MediaLinkMethod,
  sessionId: string,
  mediaId: string,
  expires: number,
  signature: string,
  now: number,
): Promise<boolean> {
  if (!Number.isSafeInteger(expires) || expires < now || expires > now + MEDIA_LINK_MAX_TTL_MS) return false;
  return sameHex(await mediaLinkSignature(secret, method, sessionId, mediaId, expires), signature);
}
