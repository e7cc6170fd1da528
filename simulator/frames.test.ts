import { NOISE_WA_HEADER } from '@whiskeysockets/baileys';
import { describe, expect, test } from 'vitest';
import { encodeFrame, FrameError, FrameReader } from './frames.ts';

describe('FrameReader', () => {
  test('skips the WA intro and splits merged frames', () => {
    const reader = new FrameReader();
    const bytes = Buffer.concat([NOISE_WA_HEADER, encodeFrame(Buffer.from('one')), encodeFrame(Buffer.from('two'))]);
    expect(reader.push(bytes).map(String)).toEqual(['one', 'two']);
  });

  test('reassembles a frame split across chunks, even inside the intro and the length', () => {
    const reader = new FrameReader();
    const bytes = Buffer.concat([NOISE_WA_HEADER, encodeFrame(Buffer.alloc(300, 7))]);
    const frames = [...bytes].flatMap((byte) => reader.push(Buffer.from([byte])));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toEqual(Buffer.alloc(300, 7));
  });

  test('skips an ED routing-info prefix in front of the WA header', () => {
    const reader = new FrameReader();
    const routing = Buffer.from('routing-info');
    const prefix = Buffer.from([0x45, 0x44, 0, 1, 0, 0, routing.length]);
    const bytes = Buffer.concat([prefix, routing, NOISE_WA_HEADER, encodeFrame(Buffer.from('hello'))]);
    expect(reader.push(bytes).map(String)).toEqual(['hello']);
  });

  test('rejects a stream that does not start with the WhatsApp header', () => {
    expect(() => new FrameReader().push(Buffer.from('GET / HTTP/1.1'))).toThrow(FrameError);
  });
});
