// Runs the hub's commands against the sessions this connector holds; each yields exactly one outcome.
import type { WAMessage } from '@whiskeysockets/baileys';
import type { Command, CommandErrorCode } from '../shared/protocol.ts';
import type { CommandOutcome } from './hub-link.ts';
import type { MediaSource } from './media/media-link-source.ts';
import { MediaUnavailable } from './media/media-unavailable.ts';
import { EditWindowClosed, MessageNotFound, NotEditable } from './whatsapp/action-errors.ts';
import { checkContacts, editMessage, kindContent, markRead, quotedMessage, revokeMessage, setChatState, subscribePresence } from './whatsapp/message-actions.ts';
import { mediaContent, sentMedia, type MediaMessage } from './whatsapp/outgoing-content.ts';
import { GroupCommandError, isGroupCommand } from './whatsapp/groups.ts';
import type { ManagedSession, SessionManager } from './whatsapp/session-manager.ts';

type SendMessage = Extract<Command, { name: 'send.message' }>;

export async function runCommand(sessions: SessionManager, command: Command, deadline: number, now: number, media: MediaSource): Promise<CommandOutcome> {
  // The hub has already answered 504 past the deadline; sending now could make a retrying caller send twice.
  if (now > deadline) return { ok: false, error: { code: 'SEND_FAILED', message: 'deadline passed before the send started' } };
  // Idempotent: a session not held here is released already.
  if (command.name === 'session.release') return { ok: true, data: await sessions.release(command.sessionId) };
  const session = sessions.get(command.sessionId);
  if (!session) return { ok: false, error: { code: 'SESSION_NOT_FOUND', message: `session ${command.sessionId} is not held by this connector` } };
  if (command.name === 'session.pair') return pair(session, command.phone);
  if (session.status !== 'WORKING') {
    return { ok: false, error: { code: 'SESSION_NOT_CONNECTED', message: `session is ${session.status}` } };
  }
  try {
    return { ok: true, data: await run(session, command, media) };
  } catch (err) {
    return { ok: false, error: { code: codeOf(err), message: errorText(err) } };
  }
}

async function run(session: ManagedSession, command: Exclude<Command, { name: 'session.pair' | 'session.release' }>, media: MediaSource) {
  if (isGroupCommand(command)) return session.runGroupCommand(command);
  switch (command.name) {
    case 'send.text':
      return session.sendText(command.to, command.text);
    case 'send.message':
      return sendMessage(session, command, media);
    case 'message.edit':
      return editMessage(session.actionContext(), command.messageId, command.text);
    case 'message.revoke':
      return revokeMessage(session.actionContext(), command.messageId);
    case 'chat.read':
      return markRead(session.actionContext(), command.chat, command.messageId);
    case 'chat.presence':
      return setChatState(session.actionContext(), command.chat, command.state);
    case 'chat.subscribe':
      return subscribePresence(session.actionContext(), command.chat);
    case 'contacts.check':
      return { contacts: await checkContacts(session.actionContext(), command.phones) };
  }
}

async function sendMessage(session: ManagedSession, command: SendMessage, media: MediaSource) {
  const { message, to, mentions } = command;
  const context = session.actionContext();
  const quoted = command.replyTo ? await quotedMessage(context, command.replyTo) : undefined;
  if ('media' in message) return { ...(await sendMedia(session, to, message, media, { quoted, mentions })), type: message.type };
  const content = message.type === 'text' ? { text: message.text } : await kindContent(context, message);
  const text = message.type === 'text' ? message.text : message.type === 'poll' ? message.name : '';
  return { ...(await session.sendContent(to, content, { text, type: message.type }, { quoted, mentions })), type: message.type };
}

async function sendMedia(session: ManagedSession, to: string, message: MediaMessage, media: MediaSource, options: { quoted?: WAMessage | undefined; mentions?: string[] | undefined }) {
  const bytes = await media(message.media);
  // Baileys reads the stream to its end before it sends anything, so bytes that turn out wrong fail the
  // send there: nothing half-verified reaches the contact.
  let failed: unknown;
  bytes.on('error', (err) => (failed ??= err));
  try {
    return await session.sendContent(to, mediaContent(message, bytes), { text: message.caption ?? '', type: message.type, media: sentMedia(message) }, options);
  } catch (err) {
    bytes.destroy();
    throw failed ?? err;
  }
}

function codeOf(err: unknown): CommandErrorCode {
  if (err instanceof GroupCommandError) return err.code;
  if (err instanceof MessageNotFound) return 'MESSAGE_NOT_FOUND';
  if (err instanceof EditWindowClosed) return 'EDIT_WINDOW_CLOSED';
  if (err instanceof NotEditable) return 'NOT_EDITABLE';
  if (err instanceof MediaUnavailable) return 'MEDIA_UNAVAILABLE';
  return 'SEND_FAILED';
}

async function pair(session: ManagedSession, phone: string): Promise<CommandOutcome> {
  if (session.status === 'WORKING') return { ok: false, error: { code: 'ALREADY_LOGGED_IN', message: 'session is linked already; log out first' } };
  if (session.status !== 'SCAN_QR_CODE') {
    return { ok: false, error: { code: 'NOT_READY', message: `session is ${session.status}, not yet waiting for a phone; retry shortly` } };
  }
  try {
    return { ok: true, data: await session.requestPairingCode(phone) };
  } catch (err) {
    return { ok: false, error: { code: 'SEND_FAILED', message: errorText(err) } };
  }
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 1000);
}
