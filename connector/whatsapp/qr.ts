// Turns the QR string Baileys emits into our `qr` event with a PNG data URL a browser can show as is.
import QRCode from 'qrcode';
import type { SessionEvent } from '../../shared/protocol.ts';

export async function qrEvent(qr: string): Promise<Extract<SessionEvent, { name: 'qr' }>> {
  const qrDataUrl = await QRCode.toDataURL(qr, { type: 'image/png', errorCorrectionLevel: 'M', margin: 2, width: 264 });
  return { name: 'qr', qr, qrDataUrl };
}
