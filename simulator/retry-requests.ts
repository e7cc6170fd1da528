// A contact that cannot decrypt a message a linked device sent it (its session broke, its phone was
// reinstalled, it came online days later) asks the sender for it again with a retry receipt, instead of a
// delivery receipt. Baileys answers from its recent-message cache (per socket), else from the app's
// `getMessage` (Socket/messages-recv.js, sendMessagesAgain): a new session, the same id, fresh ciphertext.
import type { BinaryNode } from '@whiskeysockets/baileys';
import { UnknownMessage } from './errors.ts';
import type { World } from './world.ts';

/** The recipient of device-sent message `id` reports it cannot decrypt it; `count` is its retry number (1-5). */
export function requestRetry(world: World, id: string, count = 1): void {
  const sent = world.inbox.sent(id);
  if (!sent) throw new UnknownMessage(`no device sent a message with id ${id}`);
  sendRetryReceipt(world, sent, count);
}

/** What a retry receipt names: the message, the jid it was addressed to, its sending phone and the contact. */
export type RetryTarget = { id: string; chatJid: string; from: string; to: string };

export function sendRetryReceipt(world: World, message: RetryTarget, count: number): void {
  const { id } = message;
  const t = String(Math.floor(Date.now() / 1000));
  const registration = Buffer.alloc(4);
  // The contact's current registration id: after a reinstall it differs from the one Baileys' session
  // has, which is how Baileys knows to drop that session and fetch the new keys.
  registration.writeUInt32BE(world.contacts.get(message.to).registrationId);
  const receipt: BinaryNode = {
    tag: 'receipt',
    // From the jid the message was addressed to, device 0: the phone itself asks, so Baileys resends to all.
    attrs: { from: message.chatJid, id, t, type: 'retry' },
    content: [
      { tag: 'retry', attrs: { count: String(count), id, t, v: '1' } },
      { tag: 'registration', attrs: {}, content: registration },
    ],
  };
  // The simulator does not remember which of the phone's devices sent it; all of them hear the request.
  for (const device of world.registry.devicesOf(message.from)) world.deliver(device, receipt);
}
