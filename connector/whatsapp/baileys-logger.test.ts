// The 515 restart after pairing is routine, so it must not read as an error; everything else keeps its level.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { baileysLogger } from './baileys-logger.ts';

function capture() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { lines, logger };
}

describe('the logger handed to Baileys', () => {
  it("logs WhatsApp's restart after pairing (stream error 515) at info, not as an error, also from a child", () => {
    const { lines, logger } = capture();
    const node = { tag: 'stream:error', attrs: { code: '515' } };
    baileysLogger(logger).child({ module: 'socket' }).error({ reasonNode: undefined, fullErrorNode: node }, 'stream errored out');
    expect(lines).toEqual([expect.objectContaining({ level: 30, msg: expect.stringContaining('515') })]);
  });

  it('keeps every other error an error', () => {
    const { lines, logger } = capture();
    const wrapped = baileysLogger(logger);
    wrapped.error({ fullErrorNode: { tag: 'stream:error', attrs: { code: '503' } } }, 'stream errored out');
    wrapped.error({ err: new Error('boom') }, 'something else');
    wrapped.warn('a warning');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [50, 'stream errored out'],
      [50, 'something else'],
      [40, 'a warning'],
    ]);
  });
});
