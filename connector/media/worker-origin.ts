// The one origin the connector reads and writes media bytes at: its own Worker, the host HUB_URL names.
// A media link anywhere else is never fetched, so no command can point the connector at an address a user chose.

/** The Worker's HTTP origin behind a hub URL: wss -> https, ws -> http, same host and port. */
export function workerOrigin(hubUrl: string): string {
  const url = new URL(hubUrl);
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') throw new Error(`HUB_URL must be ws:// or wss://, got ${url.protocol}`);
  return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
}

/** True when `link` is an absolute http(s) URL on exactly `origin` (scheme, host and port). */
export function isOnOrigin(link: string, origin: string): boolean {
  const url = URL.parse(link);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === new URL(origin).origin && url.username === '' && url.password === '';
}
