import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.ts';
import { fetchUserUrl, MAX_REDIRECTS, userUrlProblem } from './user-url.ts';

/** The network at a boundary tests cannot reach (public hosts): each URL answers as scripted, and is logged. */
function network(routes: Record<string, () => Response>) {
  const asked: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    const url = String(input);
    asked.push(url);
    const route = routes[url];
    if (!route) throw new TypeError('fetch failed');
    return route();
  }) as typeof globalThis.fetch;
  return { fetch, asked };
}

const redirect = (location: string) => () => new Response(null, { status: 302, headers: { location } });
const file = () => new Response('bytes', { status: 200, headers: { 'content-type': 'image/jpeg' } });

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('userUrlProblem', () => {
  it.each([
    ['http://example.com/a.jpg', 'must be an https:// URL'],
    ['https://127.0.0.1/a.jpg', 'must be a public Internet address; 127.0.0.1 is a loopback address'],
    ['https://169.254.169.254/latest/meta-data', 'must be a public Internet address; 169.254.169.254 is a link-local address'],
    ['https://10.1.2.3/a.jpg', 'must be a public Internet address; 10.1.2.3 is a private network address'],
    ['https://[::1]/a.jpg', 'must be a public Internet address; [::1] is a loopback address'],
    ['https://localhost/a.jpg', 'must be a public Internet address; localhost is a local host name'],
    ['https://user:pw@example.com/a.jpg', 'must not carry credentials'],
  ])('refuses %s', (url, problem) => {
    expect(userUrlProblem(url, false)).toBe(problem);
  });

  it('accepts a public https URL, and local http ones only with the development switch', () => {
    expect(userUrlProblem('https://example.com/a.jpg', false)).toBeNull();
    expect(userUrlProblem('http://127.0.0.1:8080/a.jpg', true)).toBeNull();
    expect(userUrlProblem('ftp://127.0.0.1/a.jpg', true)).toBe('must be an https:// URL');
  });
});

describe('fetchUserUrl', () => {
  const options = (fetch: typeof globalThis.fetch) => ({ allowPrivate: false, timeoutMs: 1000, fetch });

  it('follows redirects between public hosts by hand and returns the file', async () => {
    const net = network({ 'https://a.example/x': redirect('https://b.example/y'), 'https://b.example/y': redirect('/z'), 'https://b.example/z': file });
    const response = await fetchUserUrl('https://a.example/x', 'image.url', options(net.fetch));
    expect(await response.text()).toBe('bytes');
    expect(net.asked).toEqual(['https://a.example/x', 'https://b.example/y', 'https://b.example/z']);
  });

  it.each([
    ['link-local metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['loopback over https', 'https://127.0.0.1/admin'],
    ['a private host', 'https://192.168.1.1/'],
  ])('refuses a redirect to %s with a 400, without asking it', async (_, target) => {
    const net = network({ 'https://a.example/x': redirect(target) });
    const error = await failure(fetchUserUrl('https://a.example/x', 'image.url', options(net.fetch)));
    expect([error.status, error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(error.message).toContain(`redirects to ${target}`);
    expect(net.asked).toEqual(['https://a.example/x']);
  });

  it('gives up after MAX_REDIRECTS with a 502', async () => {
    const routes: Record<string, () => Response> = {};
    for (let i = 0; i <= MAX_REDIRECTS; i++) routes[`https://a.example/${i}`] = redirect(`https://a.example/${i + 1}`);
    const error = await failure(fetchUserUrl('https://a.example/0', 'image.url', options(network(routes).fetch)));
    expect([error.status, error.code]).toEqual([502, 'MEDIA_UNAVAILABLE']);
  });

  it('answers 502 with the reason for an address that fails or refuses', async () => {
    const gone = await failure(fetchUserUrl('https://a.example/gone', 'image.url', options(network({ 'https://a.example/gone': () => new Response('no', { status: 404 }) }).fetch)));
    expect([gone.status, gone.message]).toEqual([502, 'Could not fetch image.url: https://a.example/gone answered 404']);
    const down = await failure(fetchUserUrl('https://down.example/', 'image.url', options(network({}).fetch)));
    expect([down.status, down.message]).toEqual([502, 'Could not fetch image.url: https://down.example/ could not be reached']);
  });
});
