// Readable lines for a person at the terminal, JSON lines for a log collector: the same log call both ways.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('the connector logger', () => {
  it('writes readable lines with LOG_FORMAT=pretty', () => {
    const out = sink();
    createLogger('info', 'pretty', out.stream).child({ sessionId: 'toko-1' }).info({ phone: '6281234567890' }, 'WORKING as +6281234567890');
    const line = out.text();
    expect(line).toMatch(/INFO.*WORKING as \+6281234567890/);
    expect(line).toContain('sessionId: "toko-1"');
    expect(() => JSON.parse(line)).toThrow();
  });

  it('writes one JSON object a line by default', () => {
    const out = sink();
    createLogger('info', undefined, out.stream).info({ phone: '6281234567890' }, 'WORKING as +6281234567890');
    expect(JSON.parse(out.text())).toMatchObject({ level: 30, service: 'connector', phone: '6281234567890', msg: 'WORKING as +6281234567890' });
  });
});
