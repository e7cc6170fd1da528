// Which statuses a sent message's newest report adds: statuses only move forward (read is never followed
// by delivered), and one reported past a step implies that step (a read message was delivered, and a
// delivered one reached the server), so each message shows sent, delivered and read once each, in order.
import type { StatusChange } from './events.ts';

export type OutgoingStatus = StatusChange['status'];

const FORWARD: readonly OutgoingStatus[] = ['sent', 'delivered', 'read'];

/**
 * The statuses to report, in order, when `reported` arrives for a message whose last reported status is
 * `last` (null for none yet); empty when it adds nothing. `failed` (the server refused the message) only
 * follows nothing or `sent`, and nothing follows it or `read`.
 */
export function statusesToReport(last: OutgoingStatus | null, reported: OutgoingStatus): OutgoingStatus[] {
  if (last === 'failed' || last === 'read') return [];
  if (reported === 'failed') return last === null || last === 'sent' ? ['failed'] : [];
  const from = last === null ? 0 : FORWARD.indexOf(last) + 1;
  return FORWARD.slice(from, FORWARD.indexOf(reported) + 1);
}
