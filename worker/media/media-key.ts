// Media ids and where their bytes live: R2 keys start with the session id, so one session's key can only
// ever name that session's files.
const ID_BYTES = 18;

/** `med_` and 24 base64url characters: fits the protocol's media id (16-64 of [A-Za-z0-9_-]). */
export function newMediaId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(ID_BYTES));
  return `med_${btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_')}`;
}

export function mediaKey(sessionId: string, mediaId: string): string {
  return `${sessionId}/${mediaId}`;
}
