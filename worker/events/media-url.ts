// Received media in an event gets its public link on the way out (webhook delivery, live stream), not when
// stored: the link expires, so it is made as late as possible, and the stored event stays link-free.
import type { SessionEvent } from '../../shared/protocol.ts';
import type { Config } from '../config.ts';
import { signPublicMediaUrl } from '../media/public-media-url.ts';

export type MediaUrlConfig = Pick<Config, 'CONNECTOR_SECRET' | 'MEDIA_URL_TTL_SECONDS' | 'PUBLIC_URL'>;

/**
 * The event with `media.url` and `media.expiresAt` added when it names a stored file. `origin`: the Worker's
 * public origin (PUBLIC_URL, else where the connector reached it); without one, the event goes as it is.
 */
export async function withMediaUrl(event: SessionEvent, config: MediaUrlConfig, origin: string | undefined, now: number): Promise<SessionEvent> {
  if (event.name !== 'message.received' || !event.media?.id || !origin) return event;
  const expiresAt = now + config.MEDIA_URL_TTL_SECONDS * 1000;
  const url = await signPublicMediaUrl(config.CONNECTOR_SECRET, origin, event.media.id, expiresAt);
  return { ...event, media: { ...event.media, url, expiresAt } } as SessionEvent;
}
