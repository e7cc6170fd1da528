import { describe, expect, it } from 'vitest';
import { signMediaLink, verifyMediaLink } from './media-link.ts';

const secret = 'connector-secret-for-tests';
const now = 1_800_000_000_000;

async function parts(method: 'GET' | 'PUT', expires = now + 60_000) {
  const url = new URL(await signMediaLink(secret, 'https://kabar.example/', method, 'sess-1', 'media_0123456789abcdef', expires));
  return { url, expires: Number(url.searchParams.get('expires')), signature: url.searchParams.get('signature') ?? '' };
}

describe('media links', () => {
  it('verifies a link for the method, session and media it was signed for', async () => {
    const { url, expires, signature } = await parts('GET');
    expect(url.pathname).toBe('/connector/media/sess-1/media_0123456789abcdef');
    expect(await verifyMediaLink(secret, 'GET', 'sess-1', 'media_0123456789abcdef', expires, signature, now)).toBe(true);
  });

  it('refuses another method, session, media, secret or a changed expiry', async () => {
    const { expires, signature } = await parts('GET');
    expect(await verifyMediaLink(secret, 'PUT', 'sess-1', 'media_0123456789abcdef', expires, signature, now)).toBe(false);
    expect(await verifyMediaLink(secret, 'GET', 'sess-2', 'media_0123456789abcdef', expires, signature, now)).toBe(false);
    expect(await verifyMediaLink(secret, 'GET', 'sess-1', 'media_0123456789abcdeX', expires, signature, now)).toBe(false);
    expect(await verifyMediaLink('another-secret', 'GET', 'sess-1', 'media_0123456789abcdef', expires, signature, now)).toBe(false);
    expect(await verifyMediaLink(secret, 'GET', 'sess-1', 'media_0123456789abcdef', expires + 1, signature, now)).toBe(false);
  });

  it('refuses an expired link and one that claims to live longer than allowed', async () => {
    const expired = await parts('GET', now - 1);
    expect(await verifyMediaLink(secret, 'GET', 'sess-1', 'media_0123456789abcdef', expired.expires, expired.signature, now)).toBe(false);
    const tooLong = await parts('GET', now + 24 * 3_600_000);
    expect(await verifyMediaLink(secret, 'GET', 'sess-1', 'media_0123456789abcdef', tooLong.expires, tooLong.signature, now)).toBe(false);
  });
});
