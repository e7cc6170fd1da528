// Statuses read straight from WhatsApp's receipt stanzas. Baileys' event buffer merges the messages.update
// events of receipts landing while it buffers (Utils/event-buffer.js: Object.assign per message key), so a
// delivery receipt that follows a read receipt (repeated, out of order, in lists) overwrites it and the read
// is never emitted. Reading the stanza too loses nothing; the status tracker keeps each status once and
// forward only, whichever source reports it first.
import { getBinaryNodeChild, getBinaryNodeChildren, type BinaryNode } from '@whiskeysockets/baileys';
import { timestampMs } from './events.ts';
import type { OutgoingStatus } from './status-progress.ts';

export type ReceiptStatus = { ids: string[]; chatJid: string; status: Extract<OutgoingStatus, 'delivered' | 'read'>; timestamp: number };

/**
 * The status a contact's receipt gives the messages it names (its id and any `<list><item id>`), or null
 * for a receipt that is not a contact's delivery or read of our messages: one with `recipient` (about a
 * message sent to us), a group's (`participant`), a retry, or our own devices' (`read-self`, `sender`).
 */
export function receiptStatus(node: BinaryNode, now: number): ReceiptStatus | null {
  const { from, id, recipient, participant, type, t } = node.attrs;
  if (!from || !id || recipient || participant) return null;
  // No type is a delivery; "played" is a voice note heard, which for us is read.
  const status = type === undefined ? 'delivered' : type === 'read' || type === 'played' ? 'read' : null;
  if (!status) return null;
  const items = getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'item').flatMap((item) => item.attrs.id ?? []);
  return { ids: [id, ...items], chatJid: from, status, timestamp: timestampMs(Number(t), now) };
}
