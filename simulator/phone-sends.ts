// Messages the user types on the phone itself. WhatsApp syncs each to the phone's linked devices as a
// message from the own number (device 0) with `recipient` naming the chat, its content wrapped in a
// `deviceSentMessage`; Baileys decodes such a stanza as `fromMe` with the recipient as its chat
// (Utils/decode-wa-message.js, decodeMessageNode) and unwraps the content. The contact's receipts for it
// then reach every device of the number, linked devices included, as for any message the account sent.
import { proto } from '@whiskeysockets/baileys';
import { phoneJid } from './directory.ts';
import { InvalidScenario } from './errors.ts';
import { newMessageId } from './messaging.ts';
import { sendToOwnDevices } from './own-devices.ts';
import type { World } from './world.ts';

/**
 * Phone `phone` sends `text` to contact `to`: the contact has it (receipts from it come back through
 * `receipt(id, ...)`), and each device linked now gets the synced copy. A device linked later does not.
 */
export async function phoneSend(world: World, phone: string, to: string, text: string): Promise<{ id: string }> {
  if (phone === to) throw new InvalidScenario('a phone does not message itself here');
  const id = newMessageId();
  const timestamp = Date.now();
  world.inbox.record({ id, from: phone, to, text, timestamp, chatJid: phoneJid(to) });
  const plaintext = proto.Message.encode({ deviceSentMessage: { destinationJid: phoneJid(to), message: { conversation: text } } }).finish();
  await sendToOwnDevices(world, phone, world.registry.devicesOf(phone), id, plaintext, { t: String(Math.floor(timestamp / 1000)), recipient: phoneJid(to) });
  return { id };
}
