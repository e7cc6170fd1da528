// Where a send goes, as Baileys addresses it: a group id is already a jid, a phone becomes one.
import { isJidGroup } from '@whiskeysockets/baileys';

export function recipientJid(to: string): string {
  return isJidGroup(to) ? to : `${to}@s.whatsapp.net`;
}
