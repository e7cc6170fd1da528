// POST /api/messages as a service: checks what zod cannot (the recipient, text limits), turns the request
// into the protocol's OutgoingMessage and sends it through the hub.
import type { OutgoingMessage, SendMessageResult } from '../../shared/protocol.ts';
import { ApiError } from '../errors.ts';
import type { MessageRequest } from '../routes/message-request.ts';
import { parsePhones } from './groups.ts';
import { checkMessageText, sendMessage } from './messaging.ts';
import { parseMessageRecipient } from './recipient.ts';
import type { Services } from './ports.ts';

async function outgoing(s: Services, request: MessageRequest): Promise<OutgoingMessage> {
  if (request.type === 'text') {
    checkMessageText(s.config, request.text.body, 'text.body');
    return { type: 'text', text: request.text.body };
  }
  throw new ApiError('VALIDATION_FAILED', `Invalid request: type ${request.type} is not supported yet`, { details: [{ field: 'type', message: 'is not supported yet' }] });
}

export async function sendRequestedMessage(s: Services, sessionId: string, request: MessageRequest): Promise<SendMessageResult> {
  const to = parseMessageRecipient(s.config, request.to, 'to');
  const mentions = request.mentions?.length ? parsePhones(s, request.mentions, 'mentions') : undefined;
  const message = await outgoing(s, request);
  return sendMessage(s, sessionId, to, message, request.replyTo, mentions);
}
