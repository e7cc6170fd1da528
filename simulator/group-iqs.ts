// The w:g2 iqs Baileys sends (Socket/groups.js): create, metadata, the groups one is in, participants,
// subject, description, settings, invite codes, join and leave. Errors come as
// WhatsApp sends them, `<error code text/>` in an iq of type error, which Baileys turns into a Boom with
// that status code.
import { getBinaryNodeChild, getBinaryNodeChildren } from '@whiskeysockets/baileys';
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { Connection } from './connection.ts';
import { resolveJid } from './directory.ts';
import { GroupRefused } from './errors.ts';
import {
  changeParticipants,
  createGroup,
  GROUP_SETTINGS,
  inviteCode,
  joinByCode,
  leaveGroup,
  PARTICIPANT_ACTIONS,
  PARTICIPANT_STATUS,
  resultNode,
  setDescription,
  setSetting,
  setSubject,
} from './group-changes.ts';
import type { ParticipantRequest } from './group-changes.ts';
import { groupNode } from './group-node.ts';
import type { GroupActor } from './group-notifications.ts';
import { groupIdOf, groupJid } from './groups.ts';
import type { Group } from './groups.ts';
import type { World } from './world.ts';

/** What WhatsApp answers an iq about a group it does not know, or that the asker is not in. */
export const GROUP_NOT_FOUND = { code: '404', text: 'item-not-found' } as const;
export const NOT_A_MEMBER = { code: '403', text: 'forbidden' } as const;
export const BAD_REQUEST = { code: '400', text: 'bad-request' } as const;

type IqError = { code: string; text: string };

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

/** Answers a w:g2 iq from a logged-in device. */
export function handleGroupIq(world: World, connection: Connection, iq: BinaryNode): void {
  const device = connection.device;
  if (!device) {
    connection.send(refuse(iq, { code: '401', text: 'not-authorized' }));
    return;
  }
  let reply: BinaryNode;
  try {
    reply = groupIqAnswer(world, { phone: device.phone, device }, iq);
  } catch (error) {
    if (!(error instanceof GroupRefused)) throw error;
    reply = refuse(iq, { code: String(error.code), text: error.message });
  }
  connection.send(reply);
}

function text(node: BinaryNode | undefined): string {
  const content = node?.content;
  return content instanceof Uint8Array ? Buffer.from(content).toString('utf8') : typeof content === 'string' ? content : '';
}

function requests(world: World, node: BinaryNode): ParticipantRequest[] {
  return getBinaryNodeChildren(node, 'participant').flatMap((p) => {
    const jid = p.attrs.jid;
    return jid ? [{ jid, phone: resolveJid(world.directory, jid)?.phone }] : [];
  });
}

function groupIqAnswer(world: World, actor: GroupActor, iq: BinaryNode): BinaryNode {
  const first = children(iq)[0];
  const to = iq.attrs.to ?? '';
  const type = iq.attrs.type;
  if (!first) return refuse(iq, BAD_REQUEST);
  if (to === '@g.us' || to === 'g.us') {
    if (first.tag === 'create' && type === 'set') {
      // The answer lists those that could not be added too, each with its error, as WhatsApp's does.
      const { group, results } = createGroup(world, actor, first.attrs.subject ?? '', requests(world, first), 'lid');
      const node = groupNode(world.directory, group);
      const refused = results.filter((result) => result.status !== PARTICIPANT_STATUS.ok).map(resultNode);
      return answer(iq, [{ ...node, content: [...children(node), ...refused] }]);
    }
    if (first.tag === 'participating' && type === 'get') {
      const groups = world.groups.of(actor.phone).map((group) => groupNode(world.directory, group));
      return answer(iq, [{ tag: 'groups', attrs: {}, content: groups }]);
    }
    if (first.tag === 'invite' && first.attrs.code) {
      if (type === 'get') {
        const group = world.groups.byInviteCode(first.attrs.code);
        if (!group) return refuse(iq, GROUP_NOT_FOUND);
        return answer(iq, [groupNode(world.directory, group)]);
      }
      const group = joinByCode(world, actor, first.attrs.code);
      return answer(iq, [{ tag: 'group', attrs: { jid: groupJid(group.id) } }]);
    }
    if (first.tag === 'leave' && type === 'set') {
      const left: BinaryNode[] = [];
      for (const node of getBinaryNodeChildren(first, 'group')) {
        const id = groupIdOf(node.attrs.id ?? '');
        const group = id ? world.groups.get(id) : undefined;
        if (!group) throw new GroupRefused(404, 'item-not-found');
        leaveGroup(world, actor, group);
        left.push({ tag: 'group', attrs: { id: groupJid(group.id) } });
      }
      return answer(iq, [{ tag: 'leave', attrs: {}, content: left }]);
    }
    return refuse(iq, BAD_REQUEST);
  }
  const id = groupIdOf(to);
  const group = id ? world.groups.get(id) : undefined;
  if (!group) return refuse(iq, GROUP_NOT_FOUND);
  if (!group.members.has(actor.phone)) return refuse(iq, NOT_A_MEMBER);
  return memberIq(world, actor, group, iq, first);
}

function memberIq(world: World, actor: GroupActor, group: Group, iq: BinaryNode, first: BinaryNode): BinaryNode {
  const type = iq.attrs.type;
  if (first.tag === 'query' && type === 'get') return answer(iq, [groupNode(world.directory, group)]);
  if (type === 'get' && first.tag === 'invite') return answer(iq, [{ tag: 'invite', attrs: { code: inviteCode(world, actor, group) } }]);
  if (type !== 'set') return refuse(iq, BAD_REQUEST);
  const action = PARTICIPANT_ACTIONS.find((a) => a === first.tag);
  if (action) {
    const results = changeParticipants(world, actor, group, action, requests(world, first));
    return answer(iq, [{ tag: action, attrs: {}, content: results.map(resultNode) }]);
  }
  const setting = GROUP_SETTINGS.find((s) => s === first.tag);
  if (setting) {
    setSetting(world, actor, group, setting);
    return answer(iq);
  }
  switch (first.tag) {
    case 'subject':
      setSubject(world, actor, group, text(first));
      return answer(iq);
    case 'description':
      setDescription(world, actor, group, first.attrs.delete === 'true' ? undefined : text(getBinaryNodeChild(first, 'body')));
      return answer(iq);
    case 'invite':
      return answer(iq, [{ tag: 'invite', attrs: { code: inviteCode(world, actor, group, true) } }]);
    default:
      // Ephemeral timers, add modes, join approval, communities: not simulated.
      return refuse(iq, BAD_REQUEST);
  }
}
