// The w:g2 iqs Baileys sends (Socket/groups.js): create, metadata, the groups one is in. Errors come as
// WhatsApp sends them, `<error code text/>` in an iq of type error, which Baileys turns into a Boom with
// that status code.
import { getBinaryNodeChildren } from '@whiskeysockets/baileys';
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { Connection } from './connection.ts';
import type { LinkedDevice } from './device-registry.ts';
import { resolveJid } from './directory.ts';
import { groupNode } from './group-node.ts';
import { groupIdOf } from './groups.ts';
import type { Group } from './groups.ts';
import type { World } from './world.ts';

/** What WhatsApp answers an iq about a group it does not know, or that the asker is not in. */
export const GROUP_NOT_FOUND = { code: '404', text: 'item-not-found' } as const;
export const NOT_A_MEMBER = { code: '403', text: 'forbidden' } as const;
export const BAD_REQUEST = { code: '400', text: 'bad-request' } as const;

type IqError = { code: string; text: string };

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function answer(iq: BinaryNode, content?: BinaryNode[]): BinaryNode {
  return { tag: 'iq', attrs: { from: iq.attrs.to ?? '@g.us', type: 'result', id: iq.attrs.id ?? '' }, ...(content ? { content } : {}) };
}

function refuse(iq: BinaryNode, error: IqError): BinaryNode {
  return {
    tag: 'iq',
    attrs: { from: iq.attrs.to ?? '@g.us', type: 'error', id: iq.attrs.id ?? '' },
    content: [{ tag: 'error', attrs: { ...error } }],
  };
}

function children(node: BinaryNode | undefined): BinaryNode[] {
  return Array.isArray(node?.content) ? node.content : [];
}

/** Phone numbers of the `<participant jid>` children (PN or LID jids); unknown jids are left out. */
export function participantPhones(world: World, node: BinaryNode): string[] {
  return getBinaryNodeChildren(node, 'participant').flatMap((p) => resolveJid(world.directory, p.attrs.jid ?? '')?.phone ?? []);
}

/** Answers a w:g2 iq from a logged-in device. */
export function handleGroupIq(world: World, connection: Connection, iq: BinaryNode): void {
  const device = connection.device;
  if (!device) {
    connection.send(refuse(iq, { code: '401', text: 'not-authorized' }));
    return;
  }
  connection.send(groupIqAnswer(world, device, iq));
}

function groupIqAnswer(world: World, device: LinkedDevice, iq: BinaryNode): BinaryNode {
  const first = children(iq)[0];
  const to = iq.attrs.to ?? '';
  const type = iq.attrs.type;
  if (!first) return refuse(iq, BAD_REQUEST);
  if (to === '@g.us' || to === 'g.us') {
    if (first.tag === 'create' && type === 'set') {
      const subject = first.attrs.subject;
      if (!subject) return refuse(iq, BAD_REQUEST);
      const group = world.groups.create(device.phone, subject, participantPhones(world, first), 'lid', unixSeconds());
      world.events.emit('group-changed', { id: group.id, action: 'create', by: device.phone });
      return answer(iq, [groupNode(world.directory, group)]);
    }
    if (first.tag === 'participating' && type === 'get') {
      const groups = world.groups.of(device.phone).map((group) => groupNode(world.directory, group));
      return answer(iq, [{ tag: 'groups', attrs: {}, content: groups }]);
    }
    return refuse(iq, BAD_REQUEST);
  }
  const id = groupIdOf(to);
  const group = id ? world.groups.get(id) : undefined;
  if (!group) return refuse(iq, GROUP_NOT_FOUND);
  if (!group.members.has(device.phone)) return refuse(iq, NOT_A_MEMBER);
  return memberIq(world, device, group, iq, first);
}

function memberIq(world: World, _device: LinkedDevice, group: Group, iq: BinaryNode, first: BinaryNode): BinaryNode {
  if (first.tag === 'query' && iq.attrs.type === 'get') return answer(iq, [groupNode(world.directory, group)]);
  return refuse(iq, BAD_REQUEST);
}
