// Privacy tokens ("trusted_contact" tctokens) a linked device issues to its contacts. WhatsApp Web issues one
// to a contact after messaging it, once per time bucket (Baileys 7 mirrors this: shouldSendNewTcToken), not on
// every message; the server answers the `<iq xmlns="privacy" type="set"><tokens>` with an empty result.
// The simulator counts them so a test can see a client that issues more often than WhatsApp's own would.
import type { BinaryNode } from '@whiskeysockets/baileys';
import { getBinaryNodeChild, getBinaryNodeChildren } from '@whiskeysockets/baileys';
import { resolveJid, type Directory } from './directory.ts';

export class PrivacyTokens {
  readonly #issued = new Map<string, number>();

  /** Records the tokens in an issuing iq from a device of `phone`. */
  record(directory: Directory, phone: string, iq: BinaryNode): void {
    for (const token of getBinaryNodeChildren(getBinaryNodeChild(iq, 'tokens'), 'token')) {
      const contact = token.attrs.jid ? resolveJid(directory, token.attrs.jid)?.phone : undefined;
      if (!contact) continue;
      const key = `${phone}>${contact}`;
      this.#issued.set(key, (this.#issued.get(key) ?? 0) + 1);
    }
  }

  /** How many tokens `phone`'s devices issued to `contact`. */
  issued(phone: string, contact: string): number {
    return this.#issued.get(`${phone}>${contact}`) ?? 0;
  }
}
