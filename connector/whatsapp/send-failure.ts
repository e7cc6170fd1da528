// Why WhatsApp refused a sent message, from the code of its error ack (Baileys passes it on as the first
// of the message's messageStubParameters, with status ERROR), in our own documented terms.
import type { SendFailure } from '../../shared/protocol.ts';

/** The error ack codes we name; Baileys' SERVER_ERROR_CODES and NACK_REASONS. */
const KNOWN: Record<string, Pick<SendFailure, 'code'> & { why: string }> = {
  // Retrying counts as another reach-out and deepens the restriction (Baileys' messages-recv.js).
  '463': { code: 'ACCOUNT_RESTRICTED', why: 'the account is restricted or has no privacy token for this contact' },
  // rate-overlimit: the code WhatsApp gives queries that come too fast (connector/queue/warning-signs.ts).
  '429': { code: 'RATE_LIMITED', why: 'rate-overlimit: this number is sending too fast' },
  '479': { code: 'MESSAGE_REJECTED', why: 'WhatsApp rejected the message stanza (smax-invalid)' },
};

export function sendFailure(waCode: string | null | undefined): SendFailure {
  const code = waCode ?? 'unknown';
  const known = KNOWN[code];
  if (known) return { code: known.code, message: `WhatsApp error ${code}: ${known.why}` };
  return { code: 'REFUSED', message: `WhatsApp refused the message (error ${code})`.slice(0, 500) };
}
