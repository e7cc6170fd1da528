// The groups WhatsApp keeps: id, subject, description, settings, invite code, how its members are
// addressed on the wire (by LID, as WhatsApp creates groups today, or by phone number), and each
// member's role. Members are phone numbers; the wire forms (LID or PN jids) are made where stanzas are.
import { randomBytes, randomInt } from 'node:crypto';

export type GroupRole = 'member' | 'admin' | 'superadmin';

/** How a group names its members in stanzas: `addressing_mode="lid"` or phone-number jids. */
export type GroupAddressing = 'lid' | 'pn';

export const GROUP_ADDRESSINGS: readonly GroupAddressing[] = ['lid', 'pn'];

export type GroupDescription = { id: string; text: string; by: string; time: number };

export type Group = {
  /** The user part of the group jid ("120363...", without "@g.us"). */
  id: string;
  subject: string;
  /** Who set the subject last, and when (seconds). */
  subjectBy: string;
  subjectTime: number;
  creator: string;
  creation: number;
  description: GroupDescription | undefined;
  /** Only admins may send (`<announcement/>`). */
  announce: boolean;
  /** Only admins may edit the group's info (`<locked/>`). */
  locked: boolean;
  addressing: GroupAddressing;
  inviteCode: string;
  /** Phone number to role, in the order members joined. */
  members: Map<string, GroupRole>;
};

export type SavedGroup = Omit<Group, 'members'> & { members: [phone: string, role: GroupRole][] };

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function groupJid(id: string): string {
  return `${id}@g.us`;
}

/** "120363...@g.us" or "120363..." to the bare id; undefined for anything else. */
export function groupIdOf(jid: string): string | undefined {
  return /^(\d+(?:-\d+)?)(?:@g\.us)?$/.exec(jid)?.[1];
}

/** WhatsApp invite codes are 22 characters of URL-safe base64. */
export function newInviteCode(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

export class GroupStore {
  #groups = new Map<string, Group>();

  /** A new group created by `creator` (its super admin) with `members` in it, at `time` seconds. */
  create(creator: string, subject: string, members: string[], addressing: GroupAddressing, time: number): Group {
    let id: string;
    do id = `120363${String(randomInt(0, 1e6)).padStart(6, '0')}${String(randomInt(0, 1e6)).padStart(6, '0')}`;
    while (this.#groups.has(id));
    const group: Group = {
      id,
      subject,
      subjectBy: creator,
      subjectTime: time,
      creator,
      creation: time,
      description: undefined,
      announce: false,
      locked: false,
      addressing,
      inviteCode: newInviteCode(),
      members: new Map([[creator, 'superadmin' as GroupRole], ...members.filter((m) => m !== creator).map((m): [string, GroupRole] => [m, 'member'])]),
    };
    this.#groups.set(id, group);
    return group;
  }

  get(id: string): Group | undefined {
    return this.#groups.get(id);
  }

  byInviteCode(code: string): Group | undefined {
    return [...this.#groups.values()].find((group) => group.inviteCode === code);
  }

  /** The groups `phone` is a member of, oldest first. */
  of(phone: string): Group[] {
    return [...this.#groups.values()].filter((group) => group.members.has(phone));
  }

  dump(): SavedGroup[] {
    return [...this.#groups.values()].map((group) => ({ ...group, members: [...group.members] }));
  }

  load(saved: SavedGroup[]): void {
    for (const group of saved) this.#groups.set(group.id, { ...group, members: new Map(group.members) });
  }
}
