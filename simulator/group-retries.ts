// A contact device that cannot decrypt a group message asks its sender for it again, as WhatsApp clients
// do (`<receipt type="retry" from=GROUP participant=ITSELF>`); Baileys answers with the message and its
// sender key in one Signal copy for that device alone (Socket/messages-recv.js, sendMessagesAgain).
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { Contact } from './contacts.ts';
import type { LinkedDevice } from './device-registry.ts';
import { memberJid } from './group-node.ts';
import { groupJid, unixSeconds } from './groups.ts';
import type { Group } from './groups.ts';
import type { DeviceAddress } from './sender-keys.ts';
import type { World } from './world.ts';

/** Baileys answers at most 5 retries of a message (its default maxMsgRetryCount). */
const MAX_RETRIES = 5;

/**
 * A contact device could not decrypt a group message (it never got the sender's key: Baileys did not know
 * the device, or could not encrypt to it) and, as a WhatsApp client does, asks the sending device for it
 * again: `<receipt type="retry" from=GROUP participant=ITSELF>`, at most MAX_RETRIES times per message.
 * Baileys then sends the message and its sender key to that device alone, Signal-encrypted.
 */
export function askAgain(world: World, group: Group, sender: LinkedDevice, holder: DeviceAddress, id: string): void {
  const key = `${id}|${holder.phone}.${holder.device}`;
  const count = (world.decryptRetries.get(key) ?? 0) + 1;
  world.decryptRetries.set(key, count);
  if (count > MAX_RETRIES) return;
  const contact = world.contacts.find(holder.phone, holder.device);
  if (!contact) return;
  const t = String(unixSeconds());
  const registration = Buffer.alloc(4);
  registration.writeUInt32BE(contact.registrationId);
  world.deliver(sender, {
    tag: 'receipt',
    attrs: { from: groupJid(group.id), participant: memberJid(world.directory, group, holder.phone, holder.device), id, t, type: 'retry' },
    content: [
      { tag: 'retry', attrs: { count: String(count), id, t, v: '1' } },
      { tag: 'registration', attrs: {}, content: registration },
      // With no session with the sender, or from the second try on, the device sends its keys too, as Baileys'
      // own retry receipts do: the sender can then build a session even when the server gave it no bundle.
      ...(count > 1 || !contact.hasSession({ name: sender.phone, device: sender.device }) ? [retryKeys(contact)] : []),
    ],
  });
  world.events.emit('group-retry-sent', { id, group: groupJid(group.id), from: holder.phone, device: holder.device, count });
}

function uint(value: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  out.writeUIntBE(value, 0, length);
  return out;
}

/** `<keys>` of a retry receipt: the device's identity, signed prekey and a one-time prekey (32-byte keys). */
function retryKeys(contact: Contact): BinaryNode {
  const preKey = contact.takePreKey();
  return {
    tag: 'keys',
    attrs: {},
    content: [
      { tag: 'type', attrs: {}, content: Buffer.from([5]) },
      { tag: 'identity', attrs: {}, content: contact.identity.pubKey.subarray(1) },
      { tag: 'key', attrs: {}, content: [{ tag: 'id', attrs: {}, content: uint(preKey.id, 3) }, { tag: 'value', attrs: {}, content: preKey.publicKey }] },
      {
        tag: 'skey',
        attrs: {},
        content: [
          { tag: 'id', attrs: {}, content: uint(contact.signedPreKey.keyId, 3) },
          { tag: 'value', attrs: {}, content: contact.signedPreKey.keyPair.pubKey.subarray(1) },
          { tag: 'signature', attrs: {}, content: contact.signedPreKey.signature },
        ],
      },
    ],
  };
}
