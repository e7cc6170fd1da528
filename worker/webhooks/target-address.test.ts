import { describe, expect, it } from 'vitest';
import { classifyHost, webhookTargetProblem } from './target-address.ts';

const hostOf = (url: string) => new URL(url).hostname;

describe('classifyHost', () => {
  it.each([
    ['http://127.0.0.1/', 'loopback'],
    ['http://127.255.1.2/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://[0:0:0:0:0:0:0:1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:7f00:1]/', 'loopback'],
    ['http://[64:ff9b::127.0.0.1]/', 'loopback'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://0/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    ['http://10.1.2.3/', 'private'],
    ['http://172.16.0.1/', 'private'],
    ['http://172.31.255.255/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://[::ffff:192.168.1.1]/', 'private'],
    ['http://[2002:c0a8:101::1]/', 'private'],
    ['http://[fc00::1]/', 'private'],
    ['http://[fd12:3456::1]/', 'private'],
    ['http://169.254.169.254/', 'link-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[febf::1]/', 'link-local'],
    ['http://100.64.0.1/', 'shared'],
    ['http://100.127.255.255/', 'shared'],
    ['http://224.0.0.1/', 'reserved'],
    ['http://255.255.255.255/', 'reserved'],
    ['http://[ff02::1]/', 'reserved'],
    ['http://localhost/', 'local-name'],
    ['http://LOCALHOST./', 'local-name'],
    ['http://api.localhost/', 'local-name'],
    ['http://printer.local/', 'local-name'],
    ['http://metadata.google.internal/', 'local-name'],
    ['http://intranet/', 'local-name'],
  ])('%s is %s', (url, expected) => {
    expect(classifyHost(hostOf(url))).toBe(expected);
  });

  it.each([
    'https://example.com/hook',
    'https://hooks.example.co.id/',
    'http://8.8.8.8/',
    'http://172.32.0.1/',
    'http://100.128.0.1/',
    'http://169.255.0.1/',
    'http://[2606:4700:4700::1111]/',
    'http://[::ffff:8.8.8.8]/',
    'https://localhost.example.com/',
  ])('%s is public', (url) => {
    expect(classifyHost(hostOf(url))).toBe('public');
  });
});

describe('webhookTargetProblem', () => {
  it('accepts a public http(s) URL', () => {
    expect(webhookTargetProblem('https://example.com/hook', false)).toBeNull();
    expect(webhookTargetProblem('http://example.com:8080/hook', false)).toBeNull();
  });

  it('refuses a private host and says which and how to allow it', () => {
    expect(webhookTargetProblem('http://2130706433/x', false)).toBe(
      'must be a public Internet address; 127.0.0.1 is a loopback address (WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows it)',
    );
  });

  it('allows private hosts when the deployment allows them', () => {
    expect(webhookTargetProblem('http://127.0.0.1:9999/hook', true)).toBeNull();
  });

  it('refuses other schemes and non-URLs even when private hosts are allowed', () => {
    expect(webhookTargetProblem('ftp://example.com/', true)).toBe('must be an http(s) URL');
    expect(webhookTargetProblem('file:///etc/passwd', true)).toBe('must be an http(s) URL');
    expect(webhookTargetProblem('not a url', true)).toBe('is not a valid URL');
  });
});
