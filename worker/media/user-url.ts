// Fetching a file from an address a user chose, by the Worker (never by the connector). Each hop of a
// redirect is checked as the first was: no loopback, private or link-local host, https only, unless the
// deployment's development switch (MEDIA_ALLOW_PRIVATE_URLS) allows local hosts over http too.
import { ApiError } from '../errors.ts';
import { privateHostProblem } from '../webhooks/target-address.ts';

export const MAX_REDIRECTS = 5;

export interface UserUrlOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  fetch: typeof fetch;
}

function refused(field: string, problem: string): ApiError {
  return new ApiError('VALIDATION_FAILED', `Invalid request: ${field} ${problem}`, { details: [{ field, message: problem }] });
}

/** Why the gateway will not fetch `url`, or null. */
export function userUrlProblem(url: string, allowPrivate: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.username || parsed.password) return 'must not carry credentials';
  if (allowPrivate) return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? null : 'must be an https:// URL';
  if (parsed.protocol !== 'https:') return 'must be an https:// URL';
  const problem = privateHostProblem(parsed.hostname);
  return problem && `must be a public Internet address; ${problem}`;
}

/**
 * The response with the file's bytes, after following at most MAX_REDIRECTS redirects by hand. A refused
 * address is a 400 naming `field`; an address that does not answer with the file is a 502 with the reason.
 */
export async function fetchUserUrl(url: string, field: string, options: UserUrlOptions): Promise<Response> {
  let target = url;
  for (let hop = 0; ; hop++) {
    const problem = userUrlProblem(target, options.allowPrivate);
    if (problem) throw refused(field, hop === 0 ? problem : `redirects to ${target}, which ${problem}`);
    let response: Response;
    try {
      response = await options.fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs), headers: { accept: '*/*' } });
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `did not answer within ${options.timeoutMs} ms` : 'could not be reached';
      throw new ApiError('MEDIA_UNAVAILABLE', `Could not fetch ${field}: ${target} ${reason}`);
    }
    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      await response.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new ApiError('MEDIA_UNAVAILABLE', `Could not fetch ${field}: more than ${MAX_REDIRECTS} redirects`);
      target = new URL(response.headers.get('location')!, target).toString();
      continue;
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new ApiError('MEDIA_UNAVAILABLE', `Could not fetch ${field}: ${target} answered ${response.status}`);
    }
    return response;
  }
}
