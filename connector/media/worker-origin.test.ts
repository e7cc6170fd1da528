import { describe, expect, it } from 'vitest';
import { isOnOrigin, workerOrigin } from './worker-origin.ts';

describe('workerOrigin', () => {
  it('is the https origin of a wss hub and the http origin of a ws hub, port kept', () => {
    expect(workerOrigin('wss://kabar.example.workers.dev')).toBe('https://kabar.example.workers.dev');
    expect(workerOrigin('ws://127.0.0.1:8787')).toBe('http://127.0.0.1:8787');
  });

  it('refuses a hub URL that is not a WebSocket URL', () => {
    expect(() => workerOrigin('https://kabar.example')).toThrow(/ws:\/\/ or wss:\/\//);
  });
});

describe('isOnOrigin', () => {
  const origin = 'http://127.0.0.1:8787';
  it('accepts a link on exactly that scheme, host and port', () => {
    expect(isOnOrigin('http://127.0.0.1:8787/connector/media/s/m?expires=1&signature=a', origin)).toBe(true);
  });

  it.each([
    ['another port', 'http://127.0.0.1:8788/connector/media/s/m'],
    ['another scheme', 'https://127.0.0.1:8787/connector/media/s/m'],
    ['another host', 'http://localhost:8787/connector/media/s/m'],
    ['credentials that make the host look alike', 'http://127.0.0.1:8787@169.254.169.254/latest/meta-data'],
    ['user info on the right host', 'http://user:pw@127.0.0.1:8787/connector/media/s/m'],
    ['a file URL', 'file:///etc/passwd'],
    ['not a URL', '/connector/media/s/m'],
  ])('refuses %s', (_, link) => {
    expect(isOnOrigin(link, origin)).toBe(false);
  });
});
