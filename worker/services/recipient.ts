// Where POST /api/messages may send: a phone number, or a group by its id with or without `@g.us`. Nothing
// else: a broadcast, status, newsletter or LID jid is no phone, so it is refused and never reached by accident.
import type { Recipient } from '../../shared/protocol.ts';
import type { Config } from '../config.ts';
import { normaliseGroupId } from './groups.ts';
import { parseRecipient } from './messaging.ts';

/** A bare group id is one that cannot be a phone: more than 15 digits, or the older `<creator>-<time>`. */
const BARE_GROUP_ID = /^(\d{16,40}|\d{5,20}-\d{1,20})$/;

export function parseMessageRecipient(config: Config, raw: string, field: string): Recipient {
  const trimmed = raw.trim();
  const group = trimmed.endsWith('@g.us') || BARE_GROUP_ID.test(trimmed) ? normaliseGroupId(trimmed) : null;
  return group ?? parseRecipient(config, trimmed, field);
}
