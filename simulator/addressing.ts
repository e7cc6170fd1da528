// How WhatsApp addresses a contact's 1:1 message to a linked device. It used to name the sender by phone
// number (with its LID beside it, `sender_lid`); it increasingly names the sender by LID, with the phone
// number beside it (`sender_pn`) or, for a contact whose number the user may not see, without it. Baileys
// (Utils/decode-wa-message.js, extractAddressingContext) reads whichever of the two is present as the
// key's `remoteJidAlt`.
import { lidJid, phoneJid } from './directory.ts';

export type Addressing = 'pn' | 'lid' | 'lid-without-pn';

export const ADDRESSINGS: readonly Addressing[] = ['pn', 'lid', 'lid-without-pn'];

/**
 * The sender attributes of a message stanza from `phone` (whose LID is `lid`) addressed as
 * `addressing`, sent by the contact's `device` (0: its phone).
 */
export function senderAttrs(phone: string, lid: string, addressing: Addressing, device = 0): Record<string, string> {
  switch (addressing) {
    case 'pn':
      // sender_lid spares Baileys a usync round trip to learn the sender's LID before decrypting.
      return { from: phoneJid(phone, device), sender_lid: lidJid(lid, device) };
    case 'lid':
      return { from: lidJid(lid, device), sender_pn: phoneJid(phone, device) };
    case 'lid-without-pn':
      return { from: lidJid(lid, device) };
  }
}
