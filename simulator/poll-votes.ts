// Poll votes as WhatsApp clients encrypt them (wave-2 notes, section d): under a key derived from the poll's
// messageSecret, the poll's id and both jids, so only the poll's participants can read a vote.
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { proto } from '@whiskeysockets/baileys';

export type PollVoteContext = {
  /** The poll's messageContextInfo.messageSecret (32 bytes). */
  secret: Uint8Array;
  pollId: string;
  /** Normalised jids (no device) of who created the poll and who votes. */
  creatorJid: string;
  voterJid: string;
};

/** The vote's encPayload and encIv for `selected` option names (an empty list takes a vote back). */
export function encryptPollVote(selected: string[], context: PollVoteContext): { encPayload: Buffer; encIv: Buffer } {
  const key0 = createHmac('sha256', Buffer.alloc(32)).update(context.secret).digest();
  const sign = Buffer.concat([
    Buffer.from(context.pollId),
    Buffer.from(context.creatorJid),
    Buffer.from(context.voterJid),
    Buffer.from('Poll Vote'),
    Buffer.from([1]),
  ]);
  const key = createHmac('sha256', key0).update(sign).digest();
  const iv = randomBytes(12);
  const plaintext = proto.Message.PollVoteMessage.encode({
    selectedOptions: selected.map((name) => createHash('sha256').update(name).digest()),
  }).finish();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${context.pollId}\u0000${context.voterJid}`));
  const encPayload = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { encPayload, encIv: iv };
}
