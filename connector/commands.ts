// Runs the hub's commands against the sessions this connector holds; each yields exactly one outcome.
import type { Command } from '../shared/protocol.ts';
import type { CommandOutcome } from './hub-link.ts';
import type { MediaSource } from './media/media-link-source.ts';
import { MediaUnavailable } from './media/media-unavailable.ts';
import type { Verified } from './media/verified-stream.ts';
import { mediaContent, sentMedia } from './whatsapp/outgoing-content.ts';
import type { ManagedSession, SessionManager } from './whatsapp/session-manager.ts';

export async function runCommand(sessions: SessionManager, command: Command, deadline: number, now: number, media: MediaSource): Promise<CommandOutcome> {
  // The hub has already answered 504 past the deadline; sending now could make a retrying caller send twice.
  if (now > deadline) return { ok: false, error: { code: 'SEND_FAILED', message: 'deadline passed before the send started' } };
  const session = sessions.get(command.sessionId);
  if (!session) return { ok: false, error: { code: 'SESSION_NOT_FOUND', message: `session ${command.sessionId} is not held by this connector` } };
  if (command.name === 'session.pair') return pair(session, command.phone);
  if (session.status !== 'WORKING') {
    return { ok: false, error: { code: 'SESSION_NOT_CONNECTED', message: `session is ${session.status}` } };
  }
  if (command.name === 'send.message') return sendMessage(session, command, media);
  try {
    return { ok: true, data: await session.sendText(command.to, command.text) };
  } catch (err) {
    return { ok: false, error: { code: 'SEND_FAILED', message: errorText(err) } };
  }
}

async function sendMessage(session: ManagedSession, command: Extract<Command, { name: 'send.message' }>, media: MediaSource): Promise<CommandOutcome> {
  const { message, to } = command;
  // Groups and replies are not sent by this connector yet.
  if (!/^\d+$/.test(to) || command.replyTo) {
    return { ok: false, error: { code: 'INVALID_COMMAND', message: 'this connector sends to phone numbers only, without replies, for now' } };
  }
  if (message.type === 'text') {
    try {
      return { ok: true, data: { ...(await session.sendText(to, message.text)), type: 'text' } };
    } catch (err) {
      return { ok: false, error: { code: 'SEND_FAILED', message: errorText(err) } };
    }
  }
  let bytes: Verified;
  try {
    bytes = await media(message.media);
  } catch (err) {
    return { ok: false, error: { code: err instanceof MediaUnavailable ? 'MEDIA_UNAVAILABLE' : 'SEND_FAILED', message: errorText(err) } };
  }
  // Baileys reads the stream to its end before it sends anything, so bytes that turn out wrong fail the
  // send there: nothing half-verified reaches the contact.
  let failed: unknown;
  bytes.on('error', (err) => (failed ??= err));
  try {
    const sent = await session.send(to, mediaContent(message, bytes), { text: message.caption ?? '', type: message.type, media: sentMedia(message) });
    return { ok: true, data: { ...sent, type: message.type } };
  } catch (err) {
    const cause = failed ?? err;
    bytes.destroy();
    return { ok: false, error: { code: cause instanceof MediaUnavailable ? 'MEDIA_UNAVAILABLE' : 'SEND_FAILED', message: errorText(cause) } };
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
