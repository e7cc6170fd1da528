// The hub's queue.* commands, answered from the session's durable queue. They need the session held here,
// not connected: a queue takes messages while WhatsApp is away and sends them when it is back.
import type { Command } from '../../shared/protocol.ts';
import type { CommandOutcome } from '../hub-link.ts';
import type { QueueRunner } from './queue-runner.ts';

export type QueueCommand = Extract<Command, { name: `queue.${string}` }>;

export function isQueueCommand(command: Command): command is QueueCommand {
  return command.name.startsWith('queue.');
}

export async function runQueueCommand(runner: QueueRunner, command: QueueCommand, now: number): Promise<CommandOutcome> {
  const { sessionId } = command;
  switch (command.name) {
    case 'queue.enqueue': {
      const ids = await runner.enqueue(sessionId, command.items);
      return { ok: true, data: { queued: ids.map((messageId) => ({ messageId })) } };
    }
    case 'queue.cancel': {
      const outcome = await runner.cancel(sessionId, command.messageId);
      if (outcome === 'cancelled') return { ok: true, data: { cancelled: command.messageId } };
      if (outcome === 'already-sent') return { ok: false, error: { code: 'ALREADY_SENT', message: `message ${command.messageId} has left the queue already` } };
      return { ok: false, error: { code: 'MESSAGE_NOT_FOUND', message: `no queued message ${command.messageId} in this session` } };
    }
    case 'queue.pause':
      await runner.pause(sessionId, { code: 'PAUSED_BY_USER', message: 'paused on request', at: now, until: null });
      break;
    case 'queue.resume':
      await runner.resume(sessionId);
      break;
    case 'queue.status':
      break;
  }
  return { ok: true, data: { queue: await runner.state(sessionId) } };
}
