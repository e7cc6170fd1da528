// WhatsApp's framing over WebSocket: a one-time client intro, then 3-byte big-endian length prefixes.
// Frames may be split across or merged within WebSocket messages, so the reader buffers.
import { NOISE_WA_HEADER } from '@whiskeysockets/baileys';

export const MAX_FRAME_LENGTH = 0xffffff;
const ROUTING_PREFIX = Buffer.from('ED', 'latin1');
const ROUTING_HEADER_LENGTH = 7;

export class FrameError extends Error {}

/** Splits the client's byte stream into frame payloads, after skipping its intro. */
export class FrameReader {
  #buffer: Buffer = Buffer.alloc(0);
  #introDone = false;

  /** Appends bytes and returns every frame now complete. Throws FrameError on a bad intro. */
  push(chunk: Buffer): Buffer[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (!this.#introDone && !this.#skipIntro()) return [];
    const frames: Buffer[] = [];
    while (this.#buffer.length >= 3) {
      const length = (this.#buffer[0]! << 16) | (this.#buffer[1]! << 8) | this.#buffer[2]!;
      if (this.#buffer.length < 3 + length) break;
      frames.push(this.#buffer.subarray(3, 3 + length));
      this.#buffer = this.#buffer.subarray(3 + length);
    }
    return frames;
  }

  // The intro is "WA 06 03", optionally preceded by "ED 00 01 <len:3> <routing info>" once the
  // client has stored edge routing info. Returns false while it is still incomplete.
  #skipIntro(): boolean {
    let offset = 0;
    if (this.#buffer.length >= 2 && this.#buffer.subarray(0, 2).equals(ROUTING_PREFIX)) {
      if (this.#buffer.length < ROUTING_HEADER_LENGTH) return false;
      offset = ROUTING_HEADER_LENGTH + ((this.#buffer[4]! << 16) | this.#buffer.readUInt16BE(5));
    }
    const end = offset + NOISE_WA_HEADER.length;
    if (this.#buffer.length < end) return false;
    if (!this.#buffer.subarray(offset, end).equals(NOISE_WA_HEADER)) {
      throw new FrameError('frames: the client intro is not the WhatsApp header');
    }
    this.#buffer = this.#buffer.subarray(end);
    this.#introDone = true;
    return true;
  }
}

/** Prefixes a payload with its 3-byte length. */
export function encodeFrame(payload: Uint8Array): Buffer {
  if (payload.length > MAX_FRAME_LENGTH) throw new FrameError('frames: payload too large for one frame');
  const frame = Buffer.allocUnsafe(3 + payload.length);
  frame[0] = (payload.length >>> 16) & 0xff;
  frame[1] = (payload.length >>> 8) & 0xff;
  frame[2] = payload.length & 0xff;
  frame.set(payload, 3);
  return frame;
}
