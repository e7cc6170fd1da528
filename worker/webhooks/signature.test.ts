import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBodyOnly, signWebhook } from './signature.ts';

describe('webhook signatures', () => {
  it('signs "timestamp.body" with HMAC-SHA256, as a PHP or Node verifier computes it', async () => {
    const body = '{"id":"e1","event":"message.received"}';
    const expected = createHmac('sha256', 'shh-secret').update(`1700000000.${body}`).digest('hex');
    expect(await signWebhook('shh-secret', 1700000000, body)).toBe(`sha256=${expected}`);
  });

  it('changes with the timestamp, so an old request cannot be replayed as new', async () => {
    expect(await signWebhook('k', 1, 'b')).not.toBe(await signWebhook('k', 2, 'b'));
  });

  it('signs the raw body alone for X-Hub-Signature-256', async () => {
    const expected = createHmac('sha256', 'k').update('{"a":1}').digest('hex');
    expect(await signBodyOnly('k', '{"a":1}')).toBe(`sha256=${expected}`);
  });
});
