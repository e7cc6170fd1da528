// Group messages both ways. A device's group message is one skmsg (sender-key encrypted) for everyone plus,
// for devices that lack the sender's key, a Signal-encrypted copy of the SenderKeyDistributionMessage
// (`<participants><to jid><enc pkmsg|msg/></to>`). The server fans it out to every device of every
// current member, each getting its own copy first and the skmsg after, as
// `<message from=GROUP participant=SENDER participant_pn|participant_lid addressing_mode>`: in the other
// order Baileys cannot decrypt the skmsg. Contacts decrypt it with the sender key; a contact's own group
// post reaches linked devices the same way.
import { getBinaryNodeChild, getBinaryNodeChildren, proto } from '@whiskeysockets/baileys';
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { Connection } from './connection.ts';
import type { LinkedDevice } from './device-registry.ts';
import { resolveJid } from './directory.ts';
import { InvalidScenario, UnknownGroup } from './errors.ts';
import { memberAltAttrs, memberJid } from './group-node.ts';
import { scheduleGroupReceipt } from './group-receipts.ts';
import { askAgain } from './group-retries.ts';
import { groupIdOf, groupJid, unixSeconds } from './groups.ts';
import type { SentMessage } from './inbox.ts';
import { mediaContentOf, receiveMedia } from './media-receive.ts';
import { contentOf, kindOf, replyToOf, textOf } from './message-kinds.ts';
import type { Group } from './groups.ts';
import { bundleOf, newMessageId } from './messaging.ts';
import type { DeviceAddress } from './sender-keys.ts';
import type { World } from './world.ts';

/** What WhatsApp acks a message with when the sender may not post in the group (assumed: not a member, or announce-only). */
const NOT_ALLOWED = '403';


export function isGroupJid(jid: string | undefined): boolean {
  return !!jid?.endsWith('@g.us');
}

/** The stanza attributes of a group message from `sender` as delivered to a member's device. */
function deliveredAttrs(world: World, group: Group, sender: DeviceAddress, id: string, type: string, notify?: string): Record<string, string> {
  return {
    from: groupJid(group.id),
    participant: memberJid(world.directory, group, sender.phone, sender.device),
    ...memberAltAttrs(world.directory, group, sender.phone, 'participant', sender.device),
    addressing_mode: group.addressing,
    id,
    t: String(unixSeconds()),
    type,
    ...(notify ? { notify } : {}),
  };
}

/** The `<to jid>` copies of a device's group message, by the device they are for. */
function copiesByDevice(world: World, node: BinaryNode): Map<string, BinaryNode> {
  const copies = new Map<string, BinaryNode>();
  for (const to of getBinaryNodeChildren(getBinaryNodeChild(node, 'participants'), 'to')) {
    const address = resolveJid(world.directory, to.attrs.jid ?? '');
    const enc = getBinaryNodeChild(to, 'enc');
    if (address && enc) copies.set(`${address.phone}.${address.device}`, enc);
  }
  return copies;
}

/**
 * A linked device sent a message to a group: acked, then fanned out to every device of every current
 * member but the sending device (and the own phone, whose copies are not simulated). Contacts decrypt it
 * and keep it in their inbox with the group.
 */
export async function onGroupMessage(world: World, connection: Connection, sender: LinkedDevice, node: BinaryNode): Promise<void> {
  const { id, to } = node.attrs;
  if (!id || !to) return;
  const groupId = groupIdOf(to);
  const group = groupId ? world.groups.get(groupId) : undefined;
  const role = group?.members.get(sender.phone);
  const ack: BinaryNode = { tag: 'ack', attrs: { class: 'message', id, from: to, t: String(unixSeconds()) } };
  if (!group || !role || (group.announce && role === 'member')) {
    connection.send({ ...ack, attrs: { ...ack.attrs, error: NOT_ALLOWED } });
    world.events.emit('send-refused', { id, from: sender.phone, to, code: Number(NOT_ALLOWED) });
    return;
  }
  connection.send(ack);
  const skmsg = getBinaryNodeChildren(node, 'enc').find((enc) => enc.attrs.type === 'skmsg');
  const skmsgBytes = skmsg?.content instanceof Uint8Array ? skmsg.content : undefined;
  const copies = copiesByDevice(world, node);
  const from: DeviceAddress = { phone: sender.phone, device: sender.device };
  const jid = groupJid(group.id);
  const attrs = deliveredAttrs(world, group, from, id, node.attrs.type ?? 'text');
  // A resend after a retry receipt names the one device it is for (`participant`) and carries no skmsg:
  // the message and the sender key travel together in that device's Signal copy.
  const only = node.attrs.participant ? resolveJid(world.directory, node.attrs.participant) : undefined;
  if (node.attrs.participant && !only) return;
  if (!skmsgBytes && !only) return;
  const recipients = only ? [only.phone].filter((phone) => group.members.has(phone)) : [...group.members.keys()];
  for (const member of recipients) {
    for (const device of world.registry.devicesOf(member)) {
      if (member === sender.phone && device.device === sender.device) continue;
      if (only && only.device !== device.device) continue;
      const own = copies.get(`${member}.${device.device}`);
      const content = [...(own ? [own] : []), ...(skmsg && skmsgBytes ? [skmsg] : [])];
      if (content.length > 0) world.deliverMessage(device, id, { from: sender.phone, plaintext: new Uint8Array(), node: { tag: 'message', attrs, content } });
    }
    if (member === sender.phone) continue;
    for (const deviceNumber of world.contacts.devicesOf(member)) {
      if (only && only.device !== deviceNumber) continue;
      const holder = { phone: member, device: deviceNumber };
      await contactReceives(world, holder, jid, from, copies.get(`${member}.${deviceNumber}`), skmsgBytes).then(
        async (received) => {
          world.decryptRetries.delete(`${id}|${member}.${deviceNumber}`);
          // Kept whole, as for 1:1 messages: its kind, content, the message it quotes and, for media, what the
          // member found when it fetched the bytes.
          const media = mediaContentOf(received);
          const text = media ? (media.content.caption ?? '') : textOf(received);
          const replyTo = replyToOf(received);
          const message: SentMessage = {
            id,
            from: sender.phone,
            to: member,
            text,
            timestamp: Date.now(),
            chatJid: jid,
            group: jid,
            kind: kindOf(received),
            content: contentOf(received),
            ...(replyTo ? { replyTo } : {}),
            ...(media ? { type: media.type, media: await receiveMedia(world.media, media.type, media.content) } : {}),
          };
          world.inbox.record(message, deviceNumber);
          world.events.emit('message-stored', {
            id,
            from: sender.phone,
            to: member,
            text,
            timestamp: message.timestamp,
            devices: [deviceNumber],
            group: jid,
            ...(message.media ? { type: message.type, media: message.media } : {}),
          });
          // The member's phone answers for the member, as for 1:1 messages: read only after delivered.
          const auto = world.options.autoReceipts;
          if (auto && deviceNumber === 0) {
            const read = auto === 'read' ? () => scheduleGroupReceipt(world, jid, id, sender.phone, member, 'read') : undefined;
            scheduleGroupReceipt(world, jid, id, sender.phone, member, 'delivered', read);
          }
        },
        (error: unknown) => {
          world.events.emit('client-error', { phone: sender.phone, error: error as Error });
          askAgain(world, group, sender, holder, id);
        },
      );
    }
  }
  world.events.emit('group-message-delivered', { id, group: jid, from: sender.phone, members: recipients.filter((m) => m !== sender.phone) });
}

/**
 * A contact device takes the sender key from its own copy (if any; a resend carries the message there too),
 * then decrypts the skmsg with it.
 */
async function contactReceives(world: World, holder: DeviceAddress, group: string, sender: DeviceAddress, own: BinaryNode | undefined, skmsg: Uint8Array | undefined): Promise<proto.IMessage> {
  const contact = world.contacts.find(holder.phone, holder.device);
  if (!contact) throw new Error(`group: contact ${holder.phone}.${holder.device} is gone`);
  let message: proto.IMessage | undefined;
  const type = own?.attrs.type;
  if (own && (type === 'pkmsg' || type === 'msg') && own.content instanceof Uint8Array) {
    const decoded = proto.Message.decode(await contact.decrypt({ name: sender.phone, device: sender.device }, type, Buffer.from(own.content)));
    const distribution = decoded.senderKeyDistributionMessage?.axolotlSenderKeyDistributionMessage;
    if (distribution) await world.senderKeys.process(holder, group, sender, distribution);
    // A copy that carries only the sender key has nothing to read; a resend carries the message itself too.
    if (kindOf(decoded) !== 'unknown') message = decoded;
  }
  if (skmsg) message = proto.Message.decode(await world.senderKeys.decrypt(holder, group, sender, skmsg));
  if (!message) throw new Error(`group: nothing to read in message for ${holder.phone}.${holder.device}`);
  return message;
}

export type GroupPostOptions = {
  /** The contact's push name, sent as `notify`. */
  pushName?: string;
  /** The whole message to post (a reply, a reaction, ...) instead of `text` as a plain conversation. */
  message?: proto.IMessage;
};

/**
 * Contact `from` (its phone) posts `text` in the group: each linked device of the other members gets the
 * contact's sender key first (Signal-encrypted to that device, once per key), then the skmsg.
 */
export async function contactGroupSend(world: World, groupId: string, from: string, text: string, options: GroupPostOptions = {}): Promise<{ id: string }> {
  const id_ = groupIdOf(groupId);
  const group = id_ ? world.groups.get(id_) : undefined;
  if (!group) throw new UnknownGroup(`no group ${groupId}`);
  const role = group.members.get(from);
  if (!role) throw new InvalidScenario(`${from} is not a member of group ${group.id}`);
  if (group.announce && role === 'member') throw new InvalidScenario(`only admins may post in group ${group.id}`);
  const jid = groupJid(group.id);
  const sender: DeviceAddress = { phone: from, device: 0 };
  const contact = world.contacts.get(from);
  const plaintext = proto.Message.encode(options.message ?? { conversation: text }).finish();
  const { skmsg, distribution } = await world.senderKeys.encrypt(sender, jid, plaintext);
  const carrier = proto.Message.encode({ senderKeyDistributionMessage: { groupId: jid, axolotlSenderKeyDistributionMessage: distribution } }).finish();
  const id = newMessageId();
  const attrs = deliveredAttrs(world, group, sender, id, 'text', options.pushName);
  let devices = 0;
  let distributions = 0;
  for (const member of group.members.keys()) {
    if (member === from) continue;
    for (const device of world.registry.devicesOf(member)) {
      const target = { phone: member, device: device.device };
      const content: BinaryNode[] = [];
      if (!world.senderKeys.hasDistributed(jid, sender, target)) {
        const { type, ciphertext } = await contact.encrypt({ name: member, device: device.device }, carrier, () => bundleOf(device));
        content.push({ tag: 'enc', attrs: { v: '2', type }, content: ciphertext });
        world.senderKeys.markDistributed(jid, sender, target);
        distributions++;
      }
      content.push({ tag: 'enc', attrs: { v: '2', type: 'skmsg' }, content: skmsg });
      world.deliverMessage(device, id, { from, plaintext, node: { tag: 'message', attrs, content } });
      devices++;
    }
  }
  world.events.emit('group-message-sent', { id, group: jid, from, devices, distributions });
  return { id };
}

/**
 * A device's receipt for a group message (`to=GROUP participant=SENDER`): the message is settled for
 * that device.
 */
export function onGroupReceipt(world: World, device: LinkedDevice, node: BinaryNode): void {
  const { id, participant, type } = node.attrs;
  if (!id || type === 'retry') return;
  const sender = resolveJid(world.directory, participant ?? '')?.phone;
  const ids = [id, ...getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'item').flatMap((item) => item.attrs.id ?? [])];
  for (const messageId of ids) {
    world.receipted(device, messageId);
    world.events.emit('receipt-received', { id: messageId, from: device.phone, to: sender ?? node.attrs.to ?? '', type: type ?? 'delivered' });
  }
}
