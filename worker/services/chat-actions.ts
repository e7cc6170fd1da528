// Acting on messages and chats of a session besides sending: edit, revoke, read, typing, presence
// subscription and the number check. Each needs WhatsApp now, so each goes through the hub as a command to
// the session's connector, which acts only on that session's own messages.
import type { ChatActionResult, Command, ContactInfo, SendTextResult } from '../../shared/protocol.ts';
import { ApiError } from '../errors.ts';
import { commandFailure } from './command-failure.ts';
import type { Services } from './ports.ts';

type Data<T> = (data: unknown) => data is T;

async function run<T>(s: Services, command: Command, is: Data<T>): Promise<T> {
  const outcome = await s.hub.command(command, s.config.COMMAND_TIMEOUT_MS);
  if (!outcome.ok) throw commandFailure(outcome, command.sessionId);
  if (!is(outcome.data)) throw new ApiError('SEND_FAILED', 'The connector answered with something else');
  return outcome.data;
}

const isMessage: Data<SendTextResult> = (d): d is SendTextResult => typeof d === 'object' && d !== null && 'remoteJid' in d;
const isDone: Data<ChatActionResult> = (d): d is ChatActionResult => typeof d === 'object' && d !== null && 'done' in d;
const isContacts: Data<{ contacts: ContactInfo[] }> = (d): d is { contacts: ContactInfo[] } => typeof d === 'object' && d !== null && 'contacts' in d;

export const editMessage = (s: Services, sessionId: string, messageId: string, text: string) =>
  run(s, { name: 'message.edit', sessionId, messageId, text }, isMessage);

export const revokeMessage = (s: Services, sessionId: string, messageId: string) => run(s, { name: 'message.revoke', sessionId, messageId }, isMessage);

export const markChatRead = (s: Services, sessionId: string, chat: string, messageId?: string) =>
  run(s, { name: 'chat.read', sessionId, chat, ...(messageId ? { messageId } : {}) }, isDone);

export const setChatPresence = (s: Services, sessionId: string, chat: string, state: 'typing' | 'recording' | 'paused') =>
  run(s, { name: 'chat.presence', sessionId, chat, state }, isDone);

export const subscribeChatPresence = (s: Services, sessionId: string, chat: string) => run(s, { name: 'chat.subscribe', sessionId, chat }, isDone);

export async function checkContacts(s: Services, sessionId: string, phones: string[]): Promise<ContactInfo[]> {
  return (await run(s, { name: 'contacts.check', sessionId, phones }, isContacts)).contacts;
}
