// Groups: each call needs WhatsApp now, so each is a command through the hub to the session's connector.
// Group ids are accepted with or without `@g.us` and always answered with it.
import { normalisePhone } from '../../shared/phone.ts';
import {
  GroupJid,
  InviteCode,
  type Command,
  type CommandData,
  type GroupInfo,
  type GroupSummary,
  type ParticipantAction,
  type ParticipantResult,
} from '../../shared/protocol.ts';
import { ApiError } from '../errors.ts';
import { commandFailure } from './command-failure.ts';
import type { Services } from './ports.ts';

function invalid(field: string, message: string): ApiError {
  return new ApiError('VALIDATION_FAILED', `Invalid request: ${field} ${message}`, { details: [{ field, message }] });
}

/** `120363…` or `120363…@g.us` (or the older `<creator>-<time>`) as WhatsApp's group jid; null otherwise. */
export function normaliseGroupId(raw: string): string | null {
  const trimmed = raw.trim();
  const jid = trimmed.endsWith('@g.us') ? trimmed : `${trimmed}@g.us`;
  return GroupJid.safeParse(jid).success ? jid : null;
}

export function parseGroupId(raw: string, field = 'groupId'): string {
  const jid = normaliseGroupId(raw);
  if (!jid) throw invalid(field, 'must be a WhatsApp group id: digits (e.g. 120363012345678901), with or without "@g.us"');
  return jid;
}

/** Each phone normalised as a send's recipient is; duplicates are asked once. */
export function parsePhones(s: Services, raw: readonly string[], field: string): string[] {
  const phones = raw.map((input, i) => {
    const phone = normalisePhone(input, s.config.DEFAULT_COUNTRY_CODE);
    if (!phone) throw invalid(`${field}.${i}`, `must be a phone number of 7-15 digits (a leading 0 takes country code ${s.config.DEFAULT_COUNTRY_CODE})`);
    return phone;
  });
  return [...new Set(phones)];
}

/** An invite code, or the chat.whatsapp.com link that ends in one. */
export function parseInviteCode(raw: string): string {
  const code = raw.trim().replace(/^(https?:\/\/)?chat\.whatsapp\.com\//i, '').replace(/[/?#].*$/, '');
  if (!InviteCode.safeParse(code).success) throw invalid('code', 'must be an invite code or a https://chat.whatsapp.com/… link');
  return code;
}

type GroupCommandInput = Command extends infer C ? (C extends { name: `group.${string}` } ? Omit<C, 'sessionId'> : never) : never;

async function run<K extends string>(s: Services, sessionId: string, command: GroupCommandInput, key: K): Promise<Extract<CommandData, Record<K, unknown>>> {
  const outcome = await s.hub.command({ ...command, sessionId } as Command, s.config.COMMAND_TIMEOUT_MS);
  if (!outcome.ok) throw commandFailure(outcome, sessionId, 'WhatsApp refused the group request');
  if (!(key in outcome.data)) throw new ApiError('SEND_FAILED', 'The connector answered the group request with something else');
  return outcome.data as Extract<CommandData, Record<K, unknown>>;
}

export async function listGroups(s: Services, sessionId: string): Promise<GroupSummary[]> {
  return (await run(s, sessionId, { name: 'group.list' }, 'groups')).groups;
}

export async function createGroup(s: Services, sessionId: string, input: { subject: string; participants: string[] }): Promise<GroupInfo> {
  const participants = parsePhones(s, input.participants, 'participants');
  return (await run(s, sessionId, { name: 'group.create', subject: input.subject, participants }, 'group')).group;
}

export async function getGroup(s: Services, sessionId: string, rawGroupId: string): Promise<GroupInfo> {
  return (await run(s, sessionId, { name: 'group.get', groupId: parseGroupId(rawGroupId) }, 'group')).group;
}

export type GroupChanges = { subject?: string | undefined; description?: string | undefined; announce?: boolean | undefined; locked?: boolean | undefined };

export async function updateGroup(s: Services, sessionId: string, rawGroupId: string, changes: GroupChanges): Promise<GroupInfo> {
  const groupId = parseGroupId(rawGroupId);
  const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  if (Object.keys(set).length === 0) throw invalid('(body)', 'must change at least one of subject, description, announce, locked');
  return (await run(s, sessionId, { name: 'group.update', groupId, ...set }, 'group')).group;
}

export async function changeParticipants(
  s: Services,
  sessionId: string,
  rawGroupId: string,
  input: { action: ParticipantAction; participants: string[] },
): Promise<ParticipantResult[]> {
  const groupId = parseGroupId(rawGroupId);
  const participants = parsePhones(s, input.participants, 'participants');
  return (await run(s, sessionId, { name: 'group.participants', groupId, action: input.action, participants }, 'results')).results;
}

export async function groupInvite(s: Services, sessionId: string, rawGroupId: string, revoke: boolean): Promise<{ code: string; link: string }> {
  return (await run(s, sessionId, { name: 'group.invite', groupId: parseGroupId(rawGroupId), ...(revoke ? { revoke } : {}) }, 'invite')).invite;
}

export async function joinGroup(s: Services, sessionId: string, rawCode: string): Promise<string> {
  return (await run(s, sessionId, { name: 'group.join', code: parseInviteCode(rawCode) }, 'groupId')).groupId;
}

export async function leaveGroup(s: Services, sessionId: string, rawGroupId: string): Promise<string> {
  return (await run(s, sessionId, { name: 'group.leave', groupId: parseGroupId(rawGroupId) }, 'groupId')).groupId;
}
