// A contact reinstalls WhatsApp (new phone, wiped app): it gets a new identity key and loses its Signal
// sessions. WhatsApp tells the devices that talk to it with `<notification type="encrypt"><identity/>`;
// Baileys then drops its session and fetches the new bundle (Utils/identity-change-handler.js), unless
// the notification came in the offline backlog. A message encrypted to the old identity cannot be
// decrypted by the new one: the contact answers it with a retry receipt (messaging.ts).
import type { BinaryNode } from '@whiskeysockets/baileys';
import { phoneJid } from './directory.ts';
import type { World } from './world.ts';

/**
 * Contact `phone` reinstalls: new keys, no sessions; every linked device of every number hears of it,
 * unless `notify` is false (the notification was lost, or Baileys skipped it in an offline backlog).
 */
export function reinstallContact(world: World, phone: string, options: { notify?: boolean } = {}): { notified: number } {
  world.contacts.reinstall(phone);
  const devices =
    options.notify === false
      ? []
      : world.registry.accounts().flatMap((account) => (account.phone === phone ? [] : [...account.devices.values()]));
  for (const device of devices) {
    const notification: BinaryNode = {
      tag: 'notification',
      attrs: { from: phoneJid(phone), type: 'encrypt', id: world.nextIqId(), t: String(Math.floor(Date.now() / 1000)) },
      content: [{ tag: 'identity', attrs: {} }],
    };
    world.deliver(device, notification);
  }
  world.events.emit('contact-reinstalled', { phone, notified: devices.length });
  return { notified: devices.length };
}
