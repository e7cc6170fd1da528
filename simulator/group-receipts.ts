// Members' receipts for a device's group message: `<receipt from=GROUP participant=MEMBER id t [type="read"]>`
// to every linked device of the sender. Baileys reports them per member as `message-receipt.update`
// (handleReceipt), never as a status change of the message itself.
import type { BinaryNode } from '@whiskeysockets/baileys';
import { UnknownMessage } from './errors.ts';
import type { ReceiptType } from './events.ts';
import { memberJid } from './group-node.ts';
import { groupIdOf, unixSeconds } from './groups.ts';
import type { World } from './world.ts';

/** A member's receipt for group message `id` sent by `sender`, after the world's receipt delay; `then` runs after it. */
export function scheduleGroupReceipt(world: World, group: string, id: string, sender: string, member: string, type: ReceiptType, then?: () => void): void {
  world.later(world.options.receiptDelay(), () => {
    const bare = groupIdOf(group);
    const known = bare ? world.groups.get(bare) : undefined;
    if (!known) return;
    const receipt: BinaryNode = {
      tag: 'receipt',
      attrs: { from: group, participant: memberJid(world.directory, known, member), id, t: String(unixSeconds()), ...(type === 'read' ? { type: 'read' } : {}) },
    };
    for (const device of world.registry.devicesOf(sender)) world.deliver(device, receipt);
    then?.();
  });
}

/** Member `member` receipts group message `id` it received (delivered or read). */
export function sendGroupReceipt(world: World, id: string, member: string, type: ReceiptType): void {
  const received = world.inbox.messagesOf(member).find((message) => message.id === id && message.group);
  if (!received?.group) throw new UnknownMessage(`${member} received no group message with id ${id}`);
  scheduleGroupReceipt(world, received.group, id, received.from, member, type);
}
