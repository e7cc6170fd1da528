// What a test or demo makes contacts do with groups: create one with the Baileys account in it, change
// its members or subject, and read a group as the server holds it. The same rules and notifications
// apply as when a linked device does it (group-changes.ts).
import { lidJid } from './directory.ts';
import { UnknownGroup } from './errors.ts';
import { changeParticipants, createGroup, requestsFor, setSubject } from './group-changes.ts';
import type { ParticipantAction } from './group-changes.ts';
import { groupIdOf, groupJid } from './groups.ts';
import type { Group, GroupAddressing, GroupRole } from './groups.ts';
import type { World } from './world.ts';

export type GroupView = {
  id: string;
  subject: string;
  description: string | undefined;
  creator: string;
  announce: boolean;
  locked: boolean;
  addressing: GroupAddressing;
  inviteCode: string;
  members: { phone: string; lid: string; role: GroupRole }[];
};

export type ParticipantOutcome = { phone: string; status: number };

function find(world: World, id: string): Group {
  const bare = groupIdOf(id);
  const group = bare ? world.groups.get(bare) : undefined;
  if (!group) throw new UnknownGroup(`no group ${id}`);
  return group;
}

export function viewGroup(world: World, id: string): GroupView {
  const group = find(world, id);
  return {
    id: groupJid(group.id),
    subject: group.subject,
    description: group.description?.text,
    creator: group.creator,
    announce: group.announce,
    locked: group.locked,
    addressing: group.addressing,
    inviteCode: group.inviteCode,
    members: [...group.members].map(([phone, role]) => ({ phone, lid: lidJid(world.directory.lidOf(phone)), role })),
  };
}

/** Contact `creator` creates a group with `participants` (phones); those that cannot be added get their status. */
export function contactCreatesGroup(world: World, creator: string, subject: string, participants: string[], addressing: GroupAddressing = 'lid'): { id: string; participants: ParticipantOutcome[] } {
  const { group, results } = createGroup(world, { phone: creator }, subject, requestsFor(participants), addressing);
  return { id: groupJid(group.id), participants: results.map((r) => ({ phone: r.phone ?? r.jid, status: r.status })) };
}

export function contactChangesParticipants(world: World, id: string, by: string, action: ParticipantAction, participants: string[]): ParticipantOutcome[] {
  return changeParticipants(world, { phone: by }, find(world, id), action, requestsFor(participants)).map((r) => ({ phone: r.phone ?? r.jid, status: r.status }));
}

export function contactSetsSubject(world: World, id: string, by: string, subject: string): void {
  setSubject(world, { phone: by }, find(world, id), subject);
}
