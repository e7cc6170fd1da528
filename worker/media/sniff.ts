// What a file is, from its first bytes rather than from what a caller says, and whether that fits the
// kind of message it is sent as. Pure functions, tested directly.
import type { MediaKind } from '../../shared/protocol.ts';

const ascii = (head: Uint8Array, at: number, text: string) => [...text].every((ch, i) => head[at + i] === ch.charCodeAt(0));

/** The MIME type the bytes show, or null when they are nothing recognised (plain text, an unknown format). */
export function sniffMimetype(head: Uint8Array): string | null {
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (ascii(head, 0, '\x89PNG\r\n\x1a\n')) return 'image/png';
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return 'image/gif';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'image/webp';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return 'audio/wav';
  if (ascii(head, 0, '%PDF-')) return 'application/pdf';
  if (ascii(head, 4, 'ftyp')) {
    if (ascii(head, 8, 'M4A ') || ascii(head, 8, 'M4B ')) return 'audio/mp4';
    if (ascii(head, 8, 'qt  ')) return 'video/quicktime';
    if (ascii(head, 8, '3gp') || ascii(head, 8, '3g2')) return 'video/3gpp';
    return 'video/mp4';
  }
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'video/webm';
  if (ascii(head, 0, 'OggS')) return 'audio/ogg';
  if (ascii(head, 0, '#!AMR')) return 'audio/amr';
  if (ascii(head, 0, 'ID3') || (head[0] === 0xff && head[1] !== undefined && (head[1] & 0xe0) === 0xe0 && (head[1] & 0x06) !== 0)) {
    // ADTS AAC shares the sync word; its layer bits are 00, MPEG audio's are not.
    return 'audio/mpeg';
  }
  if (head[0] === 0xff && head[1] !== undefined && (head[1] & 0xf6) === 0xf0) return 'audio/aac';
  if (ascii(head, 0, 'PK\x03\x04')) return 'application/zip';
  return null;
}

/** Containers that hold sound or pictures alike: audio/mp4 and video/mp4 are the same bytes. */
const CONTAINERS = new Set(['mp4', 'webm', 'ogg', '3gpp']);

function base(mimetype: string): string {
  return mimetype.split(';')[0]!.trim().toLowerCase();
}

/** True when both name the same format, counting audio/x and video/x of one container as the same. */
export function sameFormat(a: string, b: string): boolean {
  const [ta, sa] = base(a).split('/');
  const [tb, sb] = base(b).split('/');
  if (ta === tb && sa === sb) return true;
  return sa === sb && CONTAINERS.has(sa!) && ['audio', 'video', 'application'].includes(ta!) && ['audio', 'video', 'application'].includes(tb!);
}

/** Declared types that say nothing about the bytes. */
export function isGeneric(mimetype: string | undefined): boolean {
  return !mimetype || ['application/octet-stream', 'binary/octet-stream', 'application/unknown'].includes(base(mimetype));
}

/**
 * The file's type from what was declared and what the bytes show: a specific declaration must agree with the
 * bytes when they are recognisable. Returns the type to store, or an error in words.
 */
export function settleMimetype(declared: string | undefined, head: Uint8Array): { mimetype: string } | { problem: string } {
  const sniffed = sniffMimetype(head);
  if (isGeneric(declared)) return { mimetype: sniffed ?? 'application/octet-stream' };
  if (sniffed && !sameFormat(declared!, sniffed) && !(sniffed === 'application/zip' && /(zip|openxml|opendocument|epub|jar|apk)/.test(declared!))) {
    return { problem: `the bytes are ${sniffed}, not ${base(declared!)}` };
  }
  return { mimetype: base(declared!) };
}

/** What WhatsApp takes for each kind (document takes anything). */
const ACCEPTED: Record<Exclude<MediaKind, 'document'>, readonly string[]> = {
  image: ['image/jpeg', 'image/png', 'image/webp'],
  sticker: ['image/webp'],
  video: ['video/mp4', 'video/3gpp', 'video/quicktime'],
  audio: ['audio/ogg', 'audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/amr', 'audio/wav'],
};

/** The type to send `mimetype` as for `kind` (audio/mp4 for an mp4 sent as audio), or null if it does not fit. */
export function mimetypeForKind(kind: MediaKind, mimetype: string): string | null {
  if (kind === 'document') return base(mimetype);
  return ACCEPTED[kind].find((accepted) => sameFormat(accepted, mimetype)) ?? null;
}

export function acceptedFor(kind: Exclude<MediaKind, 'document'>): readonly string[] {
  return ACCEPTED[kind];
}
