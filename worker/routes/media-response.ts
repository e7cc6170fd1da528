// How a stored file goes out over HTTP (to a key holder, the connector or a signed link alike), and how a
// file name comes in from a header.
import { ApiError } from '../errors.ts';
import type { StoredMedia } from '../services/media.ts';

export function mediaResponse({ media, body }: { media: StoredMedia; body: ReadableStream }): Response {
  const headers = new Headers({
    'content-type': media.mimetype,
    'content-length': String(media.size),
    'x-kabar-sha256': media.sha256,
    'cache-control': 'private, max-age=0',
    'x-content-type-options': 'nosniff',
  });
  // An attachment, so that a browser opening a link never renders a file a stranger sent as a page.
  const name = media.filename ?? media.mediaId;
  headers.set('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`);
  return new Response(body, { headers });
}

/** A file name as given (a header's is percent-encoded UTF-8); refused when it is not a plain name. */
export function mediaFilename(raw: string | undefined, encoded = false): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let name = raw;
  if (encoded) {
    try {
      name = decodeURIComponent(raw);
    } catch {
      throw new ApiError('VALIDATION_FAILED', 'Invalid request: x-kabar-filename must be percent-encoded UTF-8', { details: [{ field: 'x-kabar-filename', message: 'must be percent-encoded UTF-8' }] });
    }
  }
  if (name.length > 255 || /[\u0000-\u001f\u007f/\\]/.test(name)) {
    throw new ApiError('VALIDATION_FAILED', 'Invalid request: filename must be a plain file name of at most 255 characters', { details: [{ field: 'filename', message: 'must be a plain file name of at most 255 characters' }] });
  }
  return name;
}
