// Reads the bytes of an outgoing media message from the GET media link the hub gave, as a stream that
// fails unless they are exactly the announced bytes. Only a link on the connector's own Worker is fetched.
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { OutgoingMedia } from '../../shared/protocol.ts';
import { MediaUnavailable } from './media-unavailable.ts';
import { verifiedStream, type Verified } from './verified-stream.ts';
import { isOnOrigin } from './worker-origin.ts';

export type MediaSource = (media: OutgoingMedia) => Promise<Verified>;

/** A source that fetches from `origin` only; `fetchImpl` is the global fetch outside tests. */
export function mediaLinkSource(origin: string, fetchImpl: typeof fetch = fetch): MediaSource {
  return async (media) => {
    if (!isOnOrigin(media.url, origin)) throw new MediaUnavailable(`the media link is not on this connector's Worker (${origin}); not fetched`);
    let response: Response;
    try {
      // A redirect could lead anywhere: the Worker serves the bytes itself.
      response = await fetchImpl(media.url, { redirect: 'error' });
    } catch (err) {
      throw new MediaUnavailable(`the Worker could not be reached for the media: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new MediaUnavailable(`the Worker answered ${response.status} for the media link`);
    }
    const verified = verifiedStream({ size: media.size, sha256: media.sha256 });
    const body = Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
    body.on('error', (err) => verified.destroy(new MediaUnavailable(`reading the media from the Worker failed: ${err.message}`)));
    return body.pipe(verified) as Verified;
  };
}
