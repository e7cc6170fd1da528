// What keeps a web page the developer visits away from SQL: browsers send simple cross-site POSTs (a
// `text/plain` body) to loopback without asking, and DNS rebinding lets a page reach loopback under its
// own host name. Neither can set a JSON content type without a preflight, nor a loopback Host header.

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** A Host header naming this machine by a loopback name, with any port. */
export function isLoopbackHost(header: string | undefined): boolean {
  if (header === undefined) return false;
  const host = header.toLowerCase();
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
  return LOOPBACK_NAMES.has(name);
}

/** `application/json`, with or without parameters such as a charset. */
export function isJsonContentType(header: string | undefined): boolean {
  return header?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}
