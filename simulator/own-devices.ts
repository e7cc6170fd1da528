// What the phone sends its own linked devices: each copy encrypted from the phone (device 0) to one device
// and delivered as a message from the own number. Peer protocol messages (history, app-state keys) and the
// synced copies of messages typed on the phone differ only in their stanza attributes.
import { phoneJid } from './directory.ts';
import type { LinkedDevice } from './device-registry.ts';
import { bundleOf } from './messaging.ts';
import type { World } from './world.ts';

/** Stanza attributes beside `from`, `id` and `type`: the time in seconds, and `category` or `recipient`. */
export type OwnDeviceAttrs = { t: string; category?: 'peer'; recipient?: string };

export async function sendToOwnDevices(world: World, phone: string, devices: LinkedDevice[], id: string, plaintext: Uint8Array, attrs: OwnDeviceAttrs): Promise<void> {
  const self = world.contacts.get(phone);
  for (const device of devices) {
    const { type, ciphertext } = await self.encrypt({ name: phone, device: device.device }, plaintext, () => bundleOf(device));
    world.deliverMessage(device, id, {
      from: phone,
      plaintext,
      node: {
        tag: 'message',
        attrs: { from: phoneJid(phone), id, type: 'text', ...attrs },
        content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }],
      },
    });
  }
}
