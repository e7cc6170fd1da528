// `w:gp2` notifications: how members' devices learn of a group change (`<create>`, `<subject>`,
// `<add>`, `<remove>`, `<promote>`, `<demote>`, `<leave>`, `<description>`, `<announcement>`, `<locked>`,
// `<invite>` ...), with the actor as `participant` and its other jid beside it. Baileys turns each into a
// stub message plus `groups.upsert`, `groups.update` or `group-participants.update` (handleGroupNotification).
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { LinkedDevice } from './device-registry.ts';
import { memberAltAttrs, memberJid } from './group-node.ts';
import { groupJid, unixSeconds } from './groups.ts';
import type { Group } from './groups.ts';
import { newMessageId } from './messaging.ts';
import type { World } from './world.ts';

/** Who made a change: a phone, and the device it used when it was a linked device (that device is not told). */
export type GroupActor = { phone: string; device?: LinkedDevice | undefined };

/**
 * Sends `change` to every linked device of `recipients` (the current members unless told), queued for
 * those offline, except the device that made the change: it has the iq's answer. That the server spares
 * it is assumed (the harsher reading for a client, which must then not wait for its own change).
 */
export function notifyGroup(world: World, group: Group, actor: GroupActor, change: BinaryNode, recipients: Iterable<string> = group.members.keys()): void {
  const notification: BinaryNode = {
    tag: 'notification',
    attrs: {
      from: groupJid(group.id),
      type: 'w:gp2',
      id: newMessageId(),
      participant: memberJid(world.directory, group, actor.phone),
      ...memberAltAttrs(world.directory, group, actor.phone, 'participant'),
      t: String(unixSeconds()),
    },
    content: [change],
  };
  for (const phone of new Set(recipients)) {
    for (const device of world.registry.devicesOf(phone)) {
      if (device === actor.device) continue;
      world.deliver(device, notification);
    }
  }
}
