// A phone that reads a chat receipts every unread message at once: one receipt naming the first id, the
// others as `<list><item id=.../></list>` (Baileys reads both, Socket/messages-recv.js handleReceipt). Sent
// at once, so a test can repeat one or send a read before its delivery, as WhatsApp may.
import type { BinaryNode } from '@whiskeysockets/baileys';
import { InvalidScenario, UnknownMessage } from './errors.ts';
import type { ReceiptType } from './events.ts';
import type { World } from './world.ts';

export function sendReceiptList(world: World, ids: string[], type: ReceiptType): void {
  const messages = ids.map((id) => {
    const sent = world.inbox.sent(id);
    if (!sent) throw new UnknownMessage(`no device sent a message with id ${id}`);
    return sent;
  });
  const [first, ...rest] = messages;
  if (!first) throw new InvalidScenario('a receipt list names at least one message');
  if (rest.some((m) => m.chatJid !== first.chatJid || m.from !== first.from)) {
    throw new InvalidScenario('a receipt list covers messages of one chat only');
  }
  const receipt: BinaryNode = {
    tag: 'receipt',
    attrs: { from: first.chatJid, id: first.id, t: String(Math.floor(Date.now() / 1000)), ...(type === 'read' ? { type: 'read' } : {}) },
    ...(rest.length ? { content: [{ tag: 'list', attrs: {}, content: rest.map((m) => ({ tag: 'item', attrs: { id: m.id } })) }] } : {}),
  };
  for (const device of world.registry.devicesOf(first.from)) world.deliver(device, receipt);
}
