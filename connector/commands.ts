// Runs the hub's commands against the sessions this connector holds; each yields exactly one outcome.
import type { Command } from '../shared/protocol.ts';
import type { CommandOutcome } from './hub-link.ts';
import { GroupCommandError, isGroupCommand } from './whatsapp/groups.ts';
import type { ManagedSession, SessionManager } from './whatsapp/session-manager.ts';

export async function runCommand(sessions: SessionManager, command: Command, deadline: number, now: number): Promise<CommandOutcome> {
  // The hub has already answered 504 past the deadline; sending now could make a retrying caller send twice.
  if (now > deadline) return { ok: false, error: { code: 'SEND_FAILED', message: 'deadline passed before the send started' } };
  const session = sessions.get(command.sessionId);
  if (!session) return { ok: false, error: { code: 'SESSION_NOT_FOUND', message: `session ${command.sessionId} is not held by this connector` } };
  if (command.name === 'session.pair') return pair(session, command.phone);
  if (session.status !== 'WORKING') {
    return { ok: false, error: { code: 'SESSION_NOT_CONNECTED', message: `session is ${session.status}` } };
  }
  if (command.name === 'send.message') {
    // Until the other kinds land here, send.message carries what send.text did: text, to a phone or a group.
    const { message, to } = command;
    if (message.type !== 'text' || command.replyTo) {
      return { ok: false, error: { code: 'INVALID_COMMAND', message: `this connector cannot send ${message.type} messages yet` } };
    }
    try {
      return { ok: true, data: { ...(await session.sendText(to, message.text, command.mentions)), type: 'text' } };
    } catch (err) {
      return { ok: false, error: { code: 'SEND_FAILED', message: errorText(err) } };
    }
  }
  if (isGroupCommand(command)) {
    try {
      return { ok: true, data: await session.runGroupCommand(command) };
    } catch (err) {
      return { ok: false, error: { code: err instanceof GroupCommandError ? err.code : 'SEND_FAILED', message: errorText(err) } };
    }
  }
  try {
    return { ok: true, data: await session.sendText(command.to, command.text) };
  } catch (err) {
    return { ok: false, error: { code: 'SEND_FAILED', message: errorText(err) } };
  }
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
