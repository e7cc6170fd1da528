// Runs the hub's commands against the sessions this connector holds; each yields exactly one outcome.
import type { Command, CommandErrorCode } from '../shared/protocol.ts';
import type { CommandOutcome } from './hub-link.ts';
import type { MediaSource } from './media/media-link-source.ts';
import { MediaUnavailable } from './media/media-unavailable.ts';
import { EditWindowClosed, MessageNotFound, NotEditable } from './whatsapp/action-errors.ts';
import { checkContacts, editMessage, kindContent, markRead, quotedMessage, revokeMessage, setChatState, subscribePresence } from './whatsapp/message-actions.ts';
import { mediaContent, sentMedia, type MediaMessage } from './whatsapp/outgoing-content.ts';
import { GroupCommandError, isGroupCommand } from './whatsapp/groups.ts';
import type { ManagedSession, SessionManager } from './whatsapp/session-manager.ts';
import type { SendOptions } from './whatsapp/session.ts';
import { isQueueCommand, runQueueCommand, type QueueCommand } from './queue/queue-commands.ts';
import type { QueueRunner } from './queue/queue-runner.ts';

type SendMessage = Extract<Command, { name: 'send.message' }>;

/** The longest a synchronous send waits for its paced slot before it is refused with RATE_LIMITED. */
export const DEFAULT_PACE_BUDGET_MS = 10_000;

export async function runCommand(
  sessions: SessionManager,
  command: Command,
  deadline: number,
  now: number,
  media: MediaSource,
  queue: QueueRunner,
  paceBudgetMs = DEFAULT_PACE_BUDGET_MS,
): Promise<CommandOutcome> {
  // The hub has already answered 504 past the deadline; sending now could make a retrying caller send twice.
  if (now > deadline) return { ok: false, error: { code: 'SEND_FAILED', message: 'deadline passed before the send started' } };
  // Idempotent: a session not held here is released already.
  if (command.name === 'session.release') return { ok: true, data: await sessions.release(command.sessionId) };
  const session = sessions.get(command.sessionId);
  if (!session) return { ok: false, error: { code: 'SESSION_NOT_FOUND', message: `session ${command.sessionId} is not held by this connector` } };
  if (command.name === 'session.pair') return pair(session, command.phone);
  if (isQueueCommand(command)) return runQueueCommand(queue, command, now);
  if (session.status !== 'WORKING') {
    return { ok: false, error: { code: 'SESSION_NOT_CONNECTED', message: `session is ${session.status}` } };
  }
  try {
    if (command.name === 'send.text' || command.name === 'send.message') {
      // A synchronous send keeps the session's pace too, within what is left of its deadline.
      const budget = Math.min(paceBudgetMs, (deadline - now) / 2);
      const sent = await queue.paced(session, command.sessionId, command.to, outgoingText(command), budget, () => run(session, command, media));
      if ('retryAfterMs' in sent) {
        return { ok: false, error: { code: 'RATE_LIMITED', message: `the session's pacing allows the next send in ${sent.retryAfterMs} ms`, retryAfterMs: sent.retryAfterMs } };
      }
      return { ok: true, data: sent };
    }
    return { ok: true, data: await run(session, command, media) };
  } catch (err) {
    return { ok: false, error: { code: codeOf(err), message: errorText(err) } };
  }
}

async function run(session: ManagedSession, command: Exclude<Command, { name: 'session.pair' | 'session.release' } | QueueCommand>, media: MediaSource) {
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

/**
 * Sends any kind of message; `messageId` is the id fixed at enqueue for a queued one, `onSent` is called in the
 * turn its record is written (SendOptions).
 */
export async function sendMessage(session: ManagedSession, command: Omit<SendMessage, 'name' | 'sessionId'>, media: MediaSource, messageId?: string, onSent?: SendOptions['onSent']) {
  const { message, to, mentions } = command;
  const context = session.actionContext();
  const quoted = command.replyTo ? await quotedMessage(context, command.replyTo) : undefined;
  if ('media' in message) return { ...(await sendMedia(session, to, message, media, { quoted, mentions, messageId, onSent })), type: message.type };
  const content = message.type === 'text' ? { text: message.text } : await kindContent(context, message);
  const text = message.type === 'text' ? message.text : message.type === 'poll' ? message.name : '';
  return { ...(await session.sendContent(to, content, { text, type: message.type }, { quoted, mentions, messageId, onSent })), type: message.type };
}

async function sendMedia(session: ManagedSession, to: string, message: MediaMessage, media: MediaSource, options: SendOptions) {
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

/** What "typing..." is timed by: the text, a caption, a poll's question. */
function outgoingText(command: Extract<Command, { name: 'send.text' | 'send.message' }>): string {
  if (command.name === 'send.text') return command.text;
  const m = command.message;
  return m.type === 'text' ? m.text : m.type === 'poll' ? m.name : 'caption' in m ? (m.caption ?? '') : '';
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
