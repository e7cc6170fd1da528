// A connector's refusal of a command, as the API error its caller sees. One table for every command, so a new
// connector code is mapped once; `refused` names what WhatsApp refused, for the message of SEND_FAILED.
import { ApiError } from '../errors.ts';
import type { CommandOutcome } from '../hub/hub.ts';

export type CommandRefusal = Extract<CommandOutcome, { ok: false }>;

export function commandFailure(outcome: CommandRefusal, sessionId: string, refused = 'WhatsApp did not accept the message'): ApiError {
  switch (outcome.code) {
    case 'CONNECTOR_OFFLINE':
    case 'SHUTTING_DOWN':
      return new ApiError('CONNECTOR_OFFLINE', 'The WhatsApp connector is not reachable; retry shortly');
    case 'CONNECTOR_TIMEOUT':
      return new ApiError('CONNECTOR_TIMEOUT', 'The WhatsApp connector did not answer in time');
    case 'SESSION_NOT_FOUND':
    case 'SESSION_NOT_CONNECTED':
    case 'ALREADY_LOGGED_IN':
    case 'NOT_READY':
      return new ApiError('SESSION_NOT_CONNECTED', `Session ${sessionId} is not connected to WhatsApp`);
    case 'SEND_FAILED':
    case 'INVALID_COMMAND':
      return new ApiError('SEND_FAILED', `${refused}: ${outcome.message}`);
    case 'MESSAGE_NOT_FOUND':
      return new ApiError('MESSAGE_NOT_FOUND', outcome.message);
    case 'MEDIA_UNAVAILABLE':
      return new ApiError('MEDIA_UNAVAILABLE', `The connector could not read the media: ${outcome.message}`);
    case 'EDIT_WINDOW_CLOSED':
      return new ApiError('EDIT_WINDOW_CLOSED', outcome.message);
    case 'NOT_EDITABLE':
      return new ApiError('NOT_EDITABLE', outcome.message);
    case 'GROUP_NOT_FOUND':
      return new ApiError('GROUP_NOT_FOUND', `No such group, or this session is not in it (${outcome.message})`);
    case 'NOT_GROUP_ADMIN':
      return new ApiError('NOT_GROUP_ADMIN', `Only the group's admins may do that (${outcome.message})`);
    case 'ALREADY_SENT':
      return new ApiError('ALREADY_SENT', `The message has left the queue already (${outcome.message})`);
    case 'RATE_LIMITED': {
      // The session's pacing: the caller may send again once its slot comes.
      const seconds = Math.max(1, Math.ceil((outcome.retryAfterMs ?? 1_000) / 1_000));
      return new ApiError('RATE_LIMITED', `The session's pacing allows its next send in ${seconds} s`, { headers: { 'Retry-After': String(seconds) } });
    }
    case 'INVITE_INVALID':
      return new ApiError('INVITE_INVALID', `WhatsApp does not know this invite code, or it was revoked (${outcome.message})`);
  }
}
