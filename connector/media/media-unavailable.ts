// Media bytes that could not be had as promised: a link refused or of another origin, a Worker that did
// not answer, or bytes whose size or SHA-256 differ from what was announced. Commands answer it as
// MEDIA_UNAVAILABLE; it is never WhatsApp's fault, so never SEND_FAILED.
export class MediaUnavailable extends Error {
  override name = 'MediaUnavailable';
}
