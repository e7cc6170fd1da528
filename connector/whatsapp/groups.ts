// The group commands (list, create, read, update, participants, invite, join, leave) run on a session's
// socket, and WhatsApp's group metadata turned into our shapes. Baileys types stay in here.
import type { GroupMetadata, GroupParticipant, WASocket } from '@whiskeysockets/baileys';
import type {
  Command,
  CommandData,
  CommandErrorCode,
  GroupInfo,
  GroupMember,
  GroupSummary,
  ParticipantOutcome,
  ParticipantResult,
} from '../../shared/protocol.ts';
import { GroupJid } from '../../shared/protocol.ts';
import { bareLid, phoneFromJid } from './events.ts';
import type { GroupMetadataCache } from './group-metadata-cache.ts';

export type GroupCommand = Extract<Command, { name: `group.${string}` }>;

export type GroupSocket = Pick<
  WASocket,
  | 'groupFetchAllParticipating'
  | 'groupCreate'
  | 'groupMetadata'
  | 'groupUpdateSubject'
  | 'groupUpdateDescription'
  | 'groupSettingUpdate'
  | 'groupParticipantsUpdate'
  | 'groupInviteCode'
  | 'groupRevokeInvite'
  | 'groupAcceptInvite'
  | 'groupLeave'
>;

export const INVITE_LINK_PREFIX = 'https://chat.whatsapp.com/';

/** A group command refused for a reason of our protocol's vocabulary. */
export class GroupCommandError extends Error {
  readonly code: CommandErrorCode;
  constructor(code: CommandErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function isGroupCommand(command: Command): command is GroupCommand {
  return command.name.startsWith('group.');
}

const toJid = (phone: string) => `${phone}@s.whatsapp.net`;

/** The phone of a member as WhatsApp named it: its PN jid, or the phone_number beside its LID. */
function memberPhone(p: Pick<GroupParticipant, 'id' | 'phoneNumber'>): string | null {
  return phoneFromJid(p.phoneNumber) ?? phoneFromJid(p.id);
}

function role(p: GroupParticipant): GroupMember['role'] {
  return p.admin === 'superadmin' ? 'superadmin' : p.admin === 'admin' ? 'admin' : 'member';
}

export function groupSummary(meta: GroupMetadata): GroupSummary {
  return {
    id: meta.id,
    subject: (meta.subject ?? '').slice(0, 1024),
    announce: !!meta.announce,
    locked: !!meta.restrict,
    size: meta.size ?? meta.participants.length,
    ...(meta.creation ? { createdAt: meta.creation * 1000 } : {}),
  };
}

export function groupInfo(meta: GroupMetadata): GroupInfo {
  return {
    ...groupSummary(meta),
    ...(meta.desc ? { description: meta.desc.slice(0, 4096) } : {}),
    owner: phoneFromJid(meta.ownerPn) ?? phoneFromJid(meta.owner),
    participants: meta.participants.map((p) => {
      const lid = bareLid(p.id) ?? bareLid(p.lid);
      return { phone: memberPhone(p), ...(lid ? { lid } : {}), role: role(p) };
    }),
  };
}

/** WhatsApp's per-participant code as our outcome (see ParticipantOutcome). */
export function participantOutcome(status: number): ParticipantOutcome {
  switch (status) {
    case 200:
      return 'OK';
    case 403:
      return 'PRIVACY';
    case 404:
      return 'NOT_FOUND';
    case 408:
      return 'RECENTLY_LEFT';
    case 409:
      return 'ALREADY_MEMBER';
    case 401:
      return 'NOT_AUTHORISED';
    default:
      return 'FAILED';
  }
}

/**
 * What a refused group iq means for a command. WhatsApp answers 404 (item-not-found) for a group that does
 * not exist, 403 (forbidden) for one this account is not in, 401 (not-authorized) for a change only admins
 * may make; an invite it does not know (revoked, expired, mistyped) is 404, 406 or 410.
 */
export function groupFailure(command: GroupCommand['name'], status: number | undefined): CommandErrorCode {
  if (command === 'group.join') return status === 404 || status === 406 || status === 410 || status === 400 ? 'INVITE_INVALID' : 'SEND_FAILED';
  if (status === 404 || status === 403) return 'GROUP_NOT_FOUND';
  if (status === 401) return 'NOT_GROUP_ADMIN';
  return 'SEND_FAILED';
}

/** Boom errors from a refused iq carry the `<error code>` in `data` (Baileys' assertNodeErrorFree). */
export function iqErrorCode(err: unknown): number | undefined {
  const data = (err as { data?: unknown } | null)?.data;
  if (typeof data === 'number' && Number.isFinite(data)) return data;
  const status = (err as { output?: { statusCode?: unknown } } | null)?.output?.statusCode;
  return typeof status === 'number' && status !== 500 ? status : undefined;
}

export interface GroupRunner {
  run(command: GroupCommand): Promise<CommandData>;
  /** The metadata Baileys reads before each group send: cached, else fetched (and kept). */
  metadata(jid: string): Promise<GroupMetadata>;
}

export function groupRunner(sock: GroupSocket, cache: GroupMetadataCache): GroupRunner {
  const metadata = async (jid: string, fresh = false) => {
    const cached = fresh ? undefined : cache.get(jid);
    if (cached) return cached;
    const meta = await sock.groupMetadata(jid);
    cache.set(meta);
    return meta;
  };

  const run = async (command: GroupCommand): Promise<CommandData> => {
    switch (command.name) {
      case 'group.list': {
        const all = await sock.groupFetchAllParticipating();
        return { groups: Object.values(all).map(groupSummary) };
      }
      case 'group.create': {
        const created = await sock.groupCreate(command.subject, command.participants.map(toJid));
        // WhatsApp's answer lists those it could not add too (with an error Baileys drops), so the members
        // are read again from the group itself.
        return { group: groupInfo(await metadata(created.id, true)) };
      }
      case 'group.get':
        return { group: groupInfo(await metadata(command.groupId, true)) };
      case 'group.update': {
        const { groupId } = command;
        cache.delete(groupId);
        if (command.subject !== undefined) await sock.groupUpdateSubject(groupId, command.subject);
        if (command.description !== undefined) await sock.groupUpdateDescription(groupId, command.description || undefined);
        if (command.announce !== undefined) await sock.groupSettingUpdate(groupId, command.announce ? 'announcement' : 'not_announcement');
        if (command.locked !== undefined) await sock.groupSettingUpdate(groupId, command.locked ? 'locked' : 'unlocked');
        return { group: groupInfo(await metadata(groupId, true)) };
      }
      case 'group.participants': {
        cache.delete(command.groupId);
        const answers = await sock.groupParticipantsUpdate(command.groupId, command.participants.map(toJid), command.action);
        return { results: participantResults(command.participants, answers) };
      }
      case 'group.invite': {
        const code = command.revoke ? await sock.groupRevokeInvite(command.groupId) : await sock.groupInviteCode(command.groupId);
        if (!code) throw new GroupCommandError('SEND_FAILED', 'WhatsApp answered without an invite code');
        return { invite: { code, link: `${INVITE_LINK_PREFIX}${code}` } };
      }
      case 'group.join': {
        const jid = await sock.groupAcceptInvite(command.code);
        const groupId = jid && !jid.endsWith('@g.us') ? `${jid}@g.us` : jid;
        if (!groupId || !GroupJid.safeParse(groupId).success) throw new GroupCommandError('SEND_FAILED', `WhatsApp answered the join with ${String(jid)}`);
        return { groupId, member: true };
      }
      case 'group.leave':
        // Leaving a group one is not in is an error WhatsApp does not give; ask first so the caller hears it.
        await metadata(command.groupId, true);
        await sock.groupLeave(command.groupId);
        cache.delete(command.groupId);
        return { groupId: command.groupId, member: false };
    }
  };

  return {
    metadata: (jid) => metadata(jid),
    run: async (command) => {
      try {
        return await run(command);
      } catch (err) {
        if (err instanceof GroupCommandError) throw err;
        const message = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
        throw new GroupCommandError(groupFailure(command.name, iqErrorCode(err)), message);
      }
    },
  };
}

/**
 * One result per requested phone, in the order asked. WhatsApp names each in its answer by PN jid, or by
 * LID with the phone beside it; one it left out of its answer is reported FAILED.
 */
export function participantResults(
  requested: readonly string[],
  answers: readonly { status: string; jid: string | undefined; content?: { attrs?: Record<string, string> } }[],
): ParticipantResult[] {
  const byPhone = new Map<string, number>();
  answers.forEach((a, i) => {
    const phone = phoneFromJid(a.jid) ?? phoneFromJid(a.content?.attrs?.phone_number);
    if (phone) byPhone.set(phone, Number(answers[i]?.status));
  });
  return requested.map((phone, i) => {
    // An answer naming no phone (a bare LID) is matched by position, which WhatsApp keeps.
    const status = byPhone.get(phone) ?? (answers.length === requested.length && !phoneFromJid(answers[i]?.jid) ? Number(answers[i]?.status) : NaN);
    const code = Number.isFinite(status) ? status : 0;
    return { phone, status: code, outcome: participantOutcome(code) };
  });
}
