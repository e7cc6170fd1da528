// Baileys' group notifications (groups.upsert, groups.update, group-participants.update) as our group.*
// events, and incoming group messages' chat and sender. Pure: the session resolves what needs a socket.
import { areJidsSameUser, type BaileysEventMap, type GroupMetadata, type WAMessageKey } from '@whiskeysockets/baileys';
import type { CommandData, GroupInfo, GroupSummary, SessionEvent } from '../../shared/protocol.ts';
import { GroupJid } from '../../shared/protocol.ts';
import { bareLid, phoneFromJid } from './events.ts';
import { groupSummary, type GroupCommand } from './groups.ts';

type GroupEvent = Extract<SessionEvent, { name: `group.${string}` }>;
/** This session's own jids, PN and LID, to recognise itself among a notification's participants. */
export type Me = { id?: string | undefined; lid?: string | undefined };

const isMe = (me: Me, jid: string | undefined | null) => !!jid && (areJidsSameUser(jid, me.id) || areJidsSameUser(jid, me.lid));

function authorPhone(update: { author?: string | undefined; authorPn?: string | undefined }): string | null {
  return phoneFromJid(update.authorPn) ?? phoneFromJid(update.author);
}

export function isGroupJid(jid: string | null | undefined): jid is string {
  return !!jid && GroupJid.safeParse(jid).success;
}

/** A group this session now appears in with its metadata: it created it, or WhatsApp told it of one. */
export function joinedEvents(groups: readonly (GroupMetadata & { author?: string; authorPn?: string })[]): GroupEvent[] {
  return groups.filter((g) => isGroupJid(g.id)).map((g) => ({ name: 'group.joined', group: groupSummary(g), by: authorPhone(g) }));
}

/** A groups.update that is the whole metadata: Baileys emits every group so when it lists them, no change. */
export function isFullMetadata(update: BaileysEventMap['groups.update'][number]): update is GroupMetadata {
  return Array.isArray(update.participants);
}

/** Settings changes; an update naming none of the settings we report (e.g. only an invite code) gives none. */
export function updatedEvents(updates: BaileysEventMap['groups.update']): GroupEvent[] {
  const events: GroupEvent[] = [];
  for (const u of updates) {
    if (!isGroupJid(u.id) || isFullMetadata(u)) continue;
    const changed = {
      ...(typeof u.subject === 'string' ? { subject: u.subject.slice(0, 1024) } : {}),
      ...(typeof u.desc === 'string' ? { description: u.desc.slice(0, 4096) } : {}),
      ...(typeof u.announce === 'boolean' ? { announce: u.announce } : {}),
      ...(typeof u.restrict === 'boolean' ? { locked: u.restrict } : {}),
    };
    if (Object.keys(changed).length === 0) continue;
    events.push({ name: 'group.updated', groupId: u.id, ...changed, by: authorPhone(u) });
  }
  return events;
}

export type ParticipantsChange = {
  event: Extract<SessionEvent, { name: 'group.participants' }>;
  /** This session itself was added (then the caller reports group.joined with the group's metadata) or removed. */
  self: 'added' | 'removed' | null;
};

/** A participants notification; `modify` (a member changed number) is not one we report. */
export function participantsChange(update: BaileysEventMap['group-participants.update'], me: Me): ParticipantsChange | null {
  if (!isGroupJid(update.id) || update.action === 'modify') return null;
  const participants = update.participants.map((p) => {
    const lid = bareLid(p.id) ?? bareLid(p.lid);
    return { phone: phoneFromJid(p.phoneNumber) ?? phoneFromJid(p.id), ...(lid ? { lid } : {}) };
  });
  const selfIncluded = update.participants.some((p) => isMe(me, p.id) || isMe(me, p.phoneNumber) || isMe(me, p.lid));
  const self = !selfIncluded ? null : update.action === 'add' ? 'added' : update.action === 'remove' ? 'removed' : null;
  return { event: { name: 'group.participants', groupId: update.id, action: update.action, participants, by: authorPhone(update) }, self };
}

/**
 * The events of a change this session made itself: WhatsApp sends the acting device no notification of its
 * own change, so the command's result is the one report of it. group.join is reported by the caller, which
 * needs the group's metadata for it.
 */
export function ownChangeEvents(command: GroupCommand, data: CommandData, me: string | null): GroupEvent[] {
  switch (command.name) {
    case 'group.create':
      return 'group' in data ? [{ name: 'group.joined', group: summaryOf(data.group), by: me }] : [];
    case 'group.update': {
      const { subject, description, announce, locked } = command;
      const changed = { ...(subject !== undefined ? { subject } : {}), ...(description !== undefined ? { description } : {}), ...(announce !== undefined ? { announce } : {}), ...(locked !== undefined ? { locked } : {}) };
      return [{ name: 'group.updated', groupId: command.groupId, ...changed, by: me }];
    }
    case 'group.participants': {
      const done = 'results' in data ? data.results.filter((r) => r.outcome === 'OK') : [];
      if (done.length === 0) return [];
      return [{ name: 'group.participants', groupId: command.groupId, action: command.action, participants: done.map((r) => ({ phone: r.phone })), by: me }];
    }
    case 'group.leave':
      return [{ name: 'group.left', groupId: command.groupId, by: me }];
    default:
      return [];
  }
}

function summaryOf({ id, subject, announce, locked, size, createdAt }: GroupInfo): GroupSummary {
  return { id, subject, announce, locked, size, ...(createdAt !== undefined ? { createdAt } : {}) };
}

export function leftEvent(groupId: string, by: string | null): GroupEvent {
  return { name: 'group.left', groupId, by };
}

/** Who wrote a group message: the participant, by phone where WhatsApp or the LID mapping gives it. */
export function groupSender(key: WAMessageKey): { pnJid: string | null; lidJid: string | null } {
  const sender = { pnJid: null as string | null, lidJid: null as string | null };
  for (const jid of [key.participant, key.participantAlt]) {
    if (phoneFromJid(jid)) sender.pnJid ??= jid ?? null;
    else if (bareLid(jid)) sender.lidJid ??= jid ?? null;
  }
  return sender;
}
