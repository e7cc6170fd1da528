// What message.sent says of a message the API sent, besides who, when and its id.
import type { SessionEvent } from '../../shared/protocol.ts';

export type SentRecord = Pick<Extract<SessionEvent, { name: 'message.sent' }>, 'text' | 'type' | 'media'>;
