// What members do to a group, with WhatsApp's rules: any member edits subject and description unless the
// group is locked; only admins add, remove, promote, demote, change settings or see the invite code;
// participant changes are answered per participant. Each change is told to the members' devices
// (group-notifications.ts). Used by the w:g2 iqs (a linked device acts) and by scenario calls (a contact acts).
import type { BinaryNode } from '@whiskeysockets/baileys';
import { phoneJid } from './directory.ts';
import { GroupRefused } from './errors.ts';
import { groupNode, participantNode, personNode } from './group-node.ts';
import { notifyGroup, type GroupActor } from './group-notifications.ts';
import { newInviteCode, unixSeconds } from './groups.ts';
import type { Group, GroupAddressing } from './groups.ts';
import { newMessageId } from './messaging.ts';
import type { World } from './world.ts';

export type ParticipantAction = 'add' | 'remove' | 'promote' | 'demote';

export const PARTICIPANT_ACTIONS: readonly ParticipantAction[] = ['add', 'remove', 'promote', 'demote'];

/** A participant as asked for: the jid the asker used, and the phone it names (undefined: an unknown LID). */
export type ParticipantRequest = { jid: string; phone: string | undefined };

/** 200, or why WhatsApp did not apply the change to that participant (whatsapp-web.js lists the same codes). */
export type ParticipantResult = { jid: string; phone: string | undefined; status: number };

/** Participant statuses as WhatsApp answers them. */
export const PARTICIPANT_STATUS = {
  ok: 200,
  /** Their privacy settings allow adding them only by a private invitation. */
  privacy: 403,
  /** Not on WhatsApp (or, for remove/promote/demote, not in the group). */
  notFound: 404,
  /** The group's creator cannot be removed or demoted (assumed). */
  notAcceptable: 406,
  alreadyIn: 409,
  groupFull: 419,
} as const;

/** WhatsApp's group size limit. */
export const MAX_GROUP_SIZE = 1024;
/** WhatsApp's subject limit, in characters. */
export const MAX_SUBJECT = 100;

export function requestsFor(phones: string[]): ParticipantRequest[] {
  return phones.map((phone) => ({ jid: phoneJid(phone), phone }));
}

function requireMember(group: Group, phone: string): void {
  if (!group.members.has(phone)) throw new GroupRefused(403, 'forbidden');
}

function requireAdmin(group: Group, phone: string): void {
  requireMember(group, phone);
  if (group.members.get(phone) === 'member') throw new GroupRefused(401, 'not-authorized');
}

/** The status adding `phone` would get, before any change. */
function addStatus(world: World, group: Group, phone: string | undefined, size: number): number {
  if (!phone || world.unregistered.has(phone)) return PARTICIPANT_STATUS.notFound;
  if (group.members.has(phone)) return PARTICIPANT_STATUS.alreadyIn;
  if (world.refusesGroupAdds.has(phone)) return PARTICIPANT_STATUS.privacy;
  if (size >= MAX_GROUP_SIZE) return PARTICIPANT_STATUS.groupFull;
  return PARTICIPANT_STATUS.ok;
}

/** `<participant jid [error]>` answering one request; a privacy refusal carries the invitation WhatsApp offers instead. */
export function resultNode(result: ParticipantResult): BinaryNode {
  if (result.status === PARTICIPANT_STATUS.ok) return { tag: 'participant', attrs: { jid: result.jid } };
  const content: BinaryNode[] | undefined =
    result.status === PARTICIPANT_STATUS.privacy
      ? [{ tag: 'add_request', attrs: { code: newInviteCode(), expiration: String(unixSeconds() + 3 * 24 * 3600) } }]
      : undefined;
  return { tag: 'participant', attrs: { jid: result.jid, error: String(result.status) }, ...(content ? { content } : {}) };
}

/**
 * The members' contacts drop their sender key for the group, as WhatsApp clients do when someone leaves or
 * is removed: their next post goes under a new key, which the removed member's devices never get.
 */
function rotateContactKeys(world: World, group: Group): void {
  const jid = `${group.id}@g.us`;
  for (const phone of group.members.keys()) {
    for (const device of world.contacts.devicesOf(phone)) world.senderKeys.rotate(jid, { phone, device });
  }
}

/** `actor` creates a group; members that cannot be added are left out and answered with their status. */
export function createGroup(world: World, actor: GroupActor, subject: string, requests: ParticipantRequest[], addressing: GroupAddressing): { group: Group; results: ParticipantResult[] } {
  if (!subject.trim() || subject.length > MAX_SUBJECT) throw new GroupRefused(400, 'bad-request');
  const group = world.groups.create(actor.phone, subject, [], addressing, unixSeconds());
  const results = requests
    .filter((request) => request.phone !== actor.phone)
    .map((request): ParticipantResult => {
      const status = addStatus(world, group, request.phone, group.members.size);
      if (status === PARTICIPANT_STATUS.ok) group.members.set(request.phone!, 'member');
      return { ...request, status };
    });
  notifyGroup(world, group, actor, { tag: 'create', attrs: {}, content: [groupNode(world.directory, group)] });
  world.events.emit('group-changed', { id: group.id, action: 'create', by: actor.phone });
  return { group, results };
}

export function changeParticipants(world: World, actor: GroupActor, group: Group, action: ParticipantAction, requests: ParticipantRequest[]): ParticipantResult[] {
  requireAdmin(group, actor.phone);
  const before = [...group.members.keys()];
  const results = requests.map((request): ParticipantResult => {
    const phone = request.phone;
    if (action === 'add') {
      const status = addStatus(world, group, phone, group.members.size);
      if (status === PARTICIPANT_STATUS.ok) group.members.set(phone!, 'member');
      return { ...request, status };
    }
    const role = phone ? group.members.get(phone) : undefined;
    if (!phone || !role) return { ...request, status: PARTICIPANT_STATUS.notFound };
    if (role === 'superadmin' && action !== 'promote' && phone !== actor.phone) return { ...request, status: PARTICIPANT_STATUS.notAcceptable };
    if (action === 'remove') group.members.delete(phone);
    else if (action === 'promote' && role === 'member') group.members.set(phone, 'admin');
    else if (action === 'demote' && role === 'admin') group.members.set(phone, 'member');
    return { ...request, status: PARTICIPANT_STATUS.ok };
  });
  const changed = results.flatMap((result) => (result.status === PARTICIPANT_STATUS.ok && result.phone ? [result.phone] : []));
  if (changed.length === 0) return results;
  if (action === 'remove') rotateContactKeys(world, group);
  const participants = changed.map((phone) =>
    group.members.has(phone) ? participantNode(world.directory, group, phone) : personNode(world.directory, group, phone),
  );
  // The removed hear of it too; the added do as members.
  notifyGroup(world, group, actor, { tag: action, attrs: {}, content: participants }, action === 'remove' ? before : group.members.keys());
  world.events.emit('group-changed', { id: group.id, action, by: actor.phone });
  return results;
}

export function setSubject(world: World, actor: GroupActor, group: Group, subject: string): void {
  requireMember(group, actor.phone);
  if (group.locked) requireAdmin(group, actor.phone);
  if (!subject.trim() || subject.length > MAX_SUBJECT) throw new GroupRefused(400, 'bad-request');
  group.subject = subject;
  group.subjectBy = actor.phone;
  group.subjectTime = unixSeconds();
  notifyGroup(world, group, actor, { tag: 'subject', attrs: { subject, s_t: String(group.subjectTime) } });
  world.events.emit('group-changed', { id: group.id, action: 'subject', by: actor.phone });
}

/** Sets the description, or removes it with `text` undefined. */
export function setDescription(world: World, actor: GroupActor, group: Group, text: string | undefined): void {
  requireMember(group, actor.phone);
  if (group.locked) requireAdmin(group, actor.phone);
  const id = newMessageId();
  group.description = text ? { id, text, by: actor.phone, time: unixSeconds() } : undefined;
  const change: BinaryNode = text
    ? { tag: 'description', attrs: { id }, content: [{ tag: 'body', attrs: {}, content: Buffer.from(text) }] }
    : { tag: 'description', attrs: { id, delete: 'true' } };
  notifyGroup(world, group, actor, change);
  world.events.emit('group-changed', { id: group.id, action: 'description', by: actor.phone });
}

export type GroupSetting = 'announcement' | 'not_announcement' | 'locked' | 'unlocked';

export const GROUP_SETTINGS: readonly GroupSetting[] = ['announcement', 'not_announcement', 'locked', 'unlocked'];

export function setSetting(world: World, actor: GroupActor, group: Group, setting: GroupSetting): void {
  requireAdmin(group, actor.phone);
  if (setting === 'announcement' || setting === 'not_announcement') group.announce = setting === 'announcement';
  else group.locked = setting === 'locked';
  notifyGroup(world, group, actor, { tag: setting, attrs: {} });
  world.events.emit('group-changed', { id: group.id, action: setting, by: actor.phone });
}

/** The invite code (admins only), or a new one that replaces it with `revoke`. */
export function inviteCode(world: World, actor: GroupActor, group: Group, revoke = false): string {
  requireAdmin(group, actor.phone);
  if (revoke) {
    group.inviteCode = newInviteCode();
    world.events.emit('group-changed', { id: group.id, action: 'revoke_invite', by: actor.phone });
  }
  return group.inviteCode;
}

/** `actor` joins by invite code (a member already in stays as is); an unknown or revoked code is refused. */
export function joinByCode(world: World, actor: GroupActor, code: string): Group {
  const group = world.groups.byInviteCode(code);
  // WhatsApp's answer to a revoked or unknown code is assumed.
  if (!group) throw new GroupRefused(404, 'item-not-found');
  if (group.members.has(actor.phone)) return group;
  if (group.members.size >= MAX_GROUP_SIZE) throw new GroupRefused(419, 'resource-limit');
  group.members.set(actor.phone, 'member');
  notifyGroup(world, group, actor, { tag: 'add', attrs: { reason: 'invite' }, content: [participantNode(world.directory, group, actor.phone)] });
  world.events.emit('group-changed', { id: group.id, action: 'join', by: actor.phone });
  return group;
}

/** `actor` leaves: told to the members and to its own other devices as its own removal. */
export function leaveGroup(world: World, actor: GroupActor, group: Group): void {
  requireMember(group, actor.phone);
  const before = [...group.members.keys()];
  group.members.delete(actor.phone);
  rotateContactKeys(world, group);
  notifyGroup(world, group, actor, { tag: 'remove', attrs: {}, content: [personNode(world.directory, group, actor.phone)] }, before);
  world.events.emit('group-changed', { id: group.id, action: 'leave', by: actor.phone });
}
