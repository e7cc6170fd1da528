// The R2 id of a received message's media: derived from the message, not random, so a job resumed after a
// crash overwrites the object an earlier attempt may have half-written instead of leaving a second one.
import { createHash } from 'node:crypto';

/** `rcv` + 40 base64url characters of SHA-256 over the message's event id (session, sender and message id). */
export function receivedMediaId(eventId: string): string {
  return `rcv${createHash('sha256').update(`kabar-received-media/1\n${eventId}`).digest('base64url').slice(0, 40)}`;
}
