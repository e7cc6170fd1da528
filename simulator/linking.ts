// The phone linking and unlinking companion devices: scanning a QR a device shows, and removing
// every device linked to the number.
import { InvalidQr, NoLinkedDevice, UnknownQr } from './errors.ts';
import { parseQr } from './pairing.ts';
import { DEVICE_REMOVED } from './stream-errors.ts';
import type { World } from './world.ts';

export type ScanOptions = {
  /** Sign the device identity with a random account signature, so a verifying client refuses it. */
  forgeAccountSignature?: boolean | undefined;
  /**
   * When the phone says it linked the device (the ADV identity's timestamp, epoch ms); default now. The
   * world's clock cannot be moved, so a test stands a device linked long ago in with this.
   */
  linkedAt?: number | undefined;
};

/** The phone `phone` scans `qr`; resolves with the new device's jid once the device accepted. */
export function scan(world: World, qr: string, phone: string, options: ScanOptions = {}): Promise<{ jid: string }> {
  const data = parseQr(qr);
  if (!data) return Promise.reject(new InvalidQr('not a WhatsApp linking QR'));
  const connection = world.pendingRefs.get(data.ref);
  if (!connection) return Promise.reject(new UnknownQr('no connected device is showing this QR'));
  return connection.pair(data, phone, options);
}

/** The phone removes all its linked devices; connected ones are told (401, logged out). */
export function unlink(world: World, phone: string): { devices: number } {
  const devices = world.registry.devicesOf(phone);
  if (devices.length === 0) throw new NoLinkedDevice(`phone ${phone} has no linked device`);
  for (const device of devices) {
    world.connectionOf(device)?.end(DEVICE_REMOVED);
    world.registry.remove(device.phone, device.device);
    world.events.emit('device-unlinked', { phone, device: device.device });
  }
  return { devices: devices.length };
}
