import { describe, expect, it } from 'vitest';
import { mimetypeForKind, settleMimetype, sniffMimetype } from './sniff.ts';

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

describe('sniffMimetype', () => {
  it.each([
    [bytes([0xff, 0xd8, 0xff, 0xe0]), 'image/jpeg'],
    [bytes('\x89PNG\r\n\x1a\n'), 'image/png'],
    [bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '), 'image/webp'],
    [bytes('%PDF-1.4'), 'application/pdf'],
    [bytes([0, 0, 0, 0x18], 'ftypisom'), 'video/mp4'],
    [bytes([0, 0, 0, 0x18], 'ftypM4A '), 'audio/mp4'],
    [bytes('OggS', [0]), 'audio/ogg'],
    [bytes('ID3', [4, 0]), 'audio/mpeg'],
    [bytes('PK', [3, 4]), 'application/zip'],
    [bytes('hello, plain text'), null],
  ])('%s is %s', (head, mimetype) => {
    expect(sniffMimetype(head)).toBe(mimetype);
  });
});

describe('settleMimetype', () => {
  it('takes what the bytes show when the declared type says nothing', () => {
    expect(settleMimetype('application/octet-stream', bytes('%PDF-1.4'))).toEqual({ mimetype: 'application/pdf' });
    expect(settleMimetype(undefined, bytes('plain'))).toEqual({ mimetype: 'application/octet-stream' });
  });

  it('keeps a declared type the bytes agree with or cannot tell, and refuses one they contradict', () => {
    expect(settleMimetype('audio/mp4', bytes([0, 0, 0, 0x18], 'ftypisom'))).toEqual({ mimetype: 'audio/mp4' });
    expect(settleMimetype('text/csv; charset=utf-8', bytes('a,b\n1,2'))).toEqual({ mimetype: 'text/csv' });
    expect(settleMimetype('application/vnd.openxmlformats-officedocument.wordprocessingml.document', bytes('PK', [3, 4]))).toMatchObject({ mimetype: expect.stringContaining('openxml') });
    expect(settleMimetype('image/png', bytes('%PDF-1.4'))).toEqual({ problem: 'the bytes are application/pdf, not image/png' });
  });
});

describe('mimetypeForKind', () => {
  it('fits a file to the kind it is sent as, or says it does not fit', () => {
    expect(mimetypeForKind('audio', 'video/mp4')).toBe('audio/mp4');
    expect(mimetypeForKind('sticker', 'image/webp')).toBe('image/webp');
    expect(mimetypeForKind('sticker', 'image/jpeg')).toBeNull();
    expect(mimetypeForKind('image', 'application/pdf')).toBeNull();
    expect(mimetypeForKind('document', 'application/pdf')).toBe('application/pdf');
  });
});
