// Reads the bytes of an outgoing media message from the GET media link the hub gave, as a stream that
// fails unless they are exactly the announced bytes. Only a link on the connector's own Worker is fetched.
// node:http rather than fetch: fetch's web streams allocate per chunk, and over a 100 MiB file its heap
// garbage alone raised the connector's RSS by about 25 MB; node:http also never follows a redirect.
import type { IncomingMessage } from 'node:http';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { OutgoingMedia } from '../../shared/protocol.ts';
import { MediaUnavailable } from './media-unavailable.ts';
import { verifiedStream, type Verified } from './verified-stream.ts';
import { isOnOrigin } from './worker-origin.ts';

export type MediaSource = (media: OutgoingMedia) => Promise<Verified>;

/** A source that fetches from `origin` only. */
export function mediaLinkSource(origin: string): MediaSource {
  return async (media) => {
    if (!isOnOrigin(media.url, origin)) throw new MediaUnavailable(`the media link is not on this connector's Worker (${origin}); not fetched`);
    let response: IncomingMessage;
    try {
      response = await answer(media.url);
    } catch (err) {
      throw new MediaUnavailable(`the Worker could not be reached for the media: ${err instanceof Error ? err.message : String(err)}`);
    }
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      response.resume();
      throw new MediaUnavailable(`the Worker answered ${status} for the media link`);
    }
    const verified = verifiedStream({ size: media.size, sha256: media.sha256 });
    response.on('error', (err) => verified.destroy(new MediaUnavailable(`reading the media from the Worker failed: ${err.message}`)));
    return response.pipe(verified) as Verified;
  };
}

function answer(link: string): Promise<IncomingMessage> {
  const url = new URL(link);
  const get = url.protocol === 'https:' ? httpsGet : httpGet;
  return new Promise((resolve, reject) => get(url, resolve).once('error', reject));
}
