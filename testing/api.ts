// A small HTTP client for tests: real fetch against the Worker, with the two kinds of credentials.
import type { Stack } from './stack.ts';

export interface Call {
  key?: string;
  admin?: boolean;
  /** An object is sent as JSON; a string is sent as-is (with contentType). */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  json: any;
  headers: Headers;
}

export function apiOf(stack: Pick<Stack, 'url' | 'adminToken'>) {
  return async function api(method: string, path: string, call: Call = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...call.headers };
    if (call.key) headers['x-api-key'] = call.key;
    if (call.admin) headers.authorization = `Bearer ${stack.adminToken}`;
    let body: string | undefined;
    if (typeof call.body === 'string') body = call.body;
    else if (call.body !== undefined) body = JSON.stringify(call.body);
    if (body !== undefined) headers['content-type'] = call.contentType ?? 'application/json';
    const response = await fetch(stack.url + path, { method, headers, body });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, json, headers: response.headers };
  };
}

export type Api = ReturnType<typeof apiOf>;

/** Creates a session on the session-key surface and returns its id and key. */
export async function createSession(api: Api, body: Record<string, unknown> = {}): Promise<{ sessionId: string; apiKey: string }> {
  const answer = await api('POST', '/api/session/create', { admin: true, body });
  if (answer.status !== 201) throw new Error(`create failed: ${answer.status} ${JSON.stringify(answer.json)}`);
  return { sessionId: answer.json.sessionId, apiKey: answer.json.apiKey };
}
