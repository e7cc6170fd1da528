// The shapes a contact's text takes on the wire, as WhatsApp clients send it: a plain `conversation`, an
// `extendedTextMessage` (what a phone sends for text with a link, a quote or formatting), or either inside
// an `ephemeralMessage` wrapper in a chat with disappearing messages on.
import { proto } from '@whiskeysockets/baileys';

export type TextShape = 'conversation' | 'extended' | 'ephemeral';

export const TEXT_SHAPES: readonly TextShape[] = ['conversation', 'extended', 'ephemeral'];

export function textMessage(text: string, shape: TextShape): proto.IMessage {
  switch (shape) {
    case 'conversation':
      return { conversation: text };
    case 'extended':
      return { extendedTextMessage: { text } };
    case 'ephemeral':
      // A week's timer, as the phone stamps it in contextInfo.
      return { ephemeralMessage: { message: { extendedTextMessage: { text, contextInfo: { expiration: 604_800 } } } } };
  }
}
