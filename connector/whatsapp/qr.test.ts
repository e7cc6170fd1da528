import { describe, expect, it } from 'vitest';
import { SessionEvent } from '../../shared/protocol.ts';
import { qrEvent } from './qr.ts';

describe('qrEvent', () => {
  it('carries the raw QR string and a PNG data URL of it', async () => {
    const event = await qrEvent('2@abc,def,ghi,jkl');
    expect(event.qr).toBe('2@abc,def,ghi,jkl');
    expect(event.qrDataUrl.startsWith('data:image/png;base64,')).toBe(true);
    const png = Buffer.from(event.qrDataUrl.slice('data:image/png;base64,'.length), 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(SessionEvent.safeParse(event).success).toBe(true);
  });
});
