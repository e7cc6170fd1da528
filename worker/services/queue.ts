// The session's durable outbound queue, held by its connector (connector/queue/): enqueue one message or a
// batch, see the queue, pause, resume, cancel. The connector answers once the messages are durable.
import type { Command, QueueItem, QueueState } from '../../shared/protocol.ts';
import { ApiError } from '../errors.ts';
import type { MessageRequest } from '../routes/message-request.ts';
import { commandFailure } from './command-failure.ts';
import { parsePhones } from './groups.ts';
import { isMediaRequest, outgoing } from './outgoing-message.ts';
import type { Services } from './ports.ts';
import { parseMessageRecipient } from './recipient.ts';

/** A validation error of one item, named by its place in the request (`messages[3].to`). */
function atPlace(error: unknown, prefix: string): unknown {
  if (!(error instanceof ApiError) || error.code !== 'VALIDATION_FAILED' || !prefix) return error;
  const details = (error.details as { field: string; message: string }[] | undefined)?.map((d) => ({ ...d, field: `${prefix}${d.field}` }));
  const first = details?.[0];
  return new ApiError('VALIDATION_FAILED', first ? `Invalid request: ${first.field} ${first.message}` : error.message, { details });
}

async function queueItem(s: Services, request: MessageRequest, prefix: string): Promise<QueueItem> {
  try {
    if (isMediaRequest(request)) {
      // A media link outlives no queue (30 minutes at most), and the bytes never ride the hub's frames.
      throw new ApiError('VALIDATION_FAILED', 'Invalid request: type media messages are not queued; send them without queue', {
        details: [{ field: 'type', message: 'media messages are not queued; send them without queue' }],
      });
    }
    const to = parseMessageRecipient(s.config, request.to, 'to');
    const mentions = request.mentions?.length ? parsePhones(s, request.mentions, 'mentions') : undefined;
    return { to, message: await outgoing(s, request), ...(request.replyTo ? { replyTo: request.replyTo } : {}), ...(mentions ? { mentions } : {}) };
  } catch (error) {
    throw atPlace(error, prefix);
  }
}

async function run(s: Services, command: Command) {
  const outcome = await s.hub.command(command, s.config.COMMAND_TIMEOUT_MS);
  if (!outcome.ok) throw commandFailure(outcome, command.sessionId);
  return outcome.data;
}

/** Every item is checked before any is queued: a bad one changes nothing. Answers the ids in order. */
export async function enqueueMessages(s: Services, sessionId: string, requests: readonly MessageRequest[], prefix: (i: number) => string): Promise<string[]> {
  const items: QueueItem[] = [];
  for (const [i, request] of requests.entries()) items.push(await queueItem(s, request, prefix(i)));
  const data = await run(s, { name: 'queue.enqueue', sessionId, items });
  if (!('queued' in data) || data.queued.length !== items.length) throw new ApiError('SEND_FAILED', 'The connector answered the enqueue with something else');
  return data.queued.map((q) => q.messageId);
}

async function state(s: Services, command: Command): Promise<QueueState> {
  const data = await run(s, command);
  if (!('queue' in data)) throw new ApiError('SEND_FAILED', 'The connector answered with something else');
  return data.queue;
}

export const queueState = (s: Services, sessionId: string) => state(s, { name: 'queue.status', sessionId });
export const pauseQueue = (s: Services, sessionId: string) => state(s, { name: 'queue.pause', sessionId });
export const resumeQueue = (s: Services, sessionId: string) => state(s, { name: 'queue.resume', sessionId });

/** Takes a message out of the queue; ALREADY_SENT (409) once it has left it, MESSAGE_NOT_FOUND (404) if never queued. */
export async function cancelQueued(s: Services, sessionId: string, messageId: string): Promise<void> {
  const outcome = await s.hub.command({ name: 'queue.cancel', sessionId, messageId }, s.config.COMMAND_TIMEOUT_MS);
  if (!outcome.ok) {
    if (outcome.code === 'MESSAGE_NOT_FOUND') throw new ApiError('MESSAGE_NOT_FOUND', `No queued message ${messageId} in this session`);
    throw commandFailure(outcome, sessionId);
  }
}
