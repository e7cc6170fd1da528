// The stanzas that end a stream, each chosen for the DisconnectReason Baileys derives from it
// (getErrorCodeFromStreamError: a `code` attribute wins, else a <conflict> child means 440).
import type { BinaryNode } from '@whiskeysockets/baileys';

/** After pairing: Baileys closes with 515 restartRequired and the app reconnects with the new creds. */
export const RESTART_REQUIRED: BinaryNode = { tag: 'stream:error', attrs: { code: '515' } };

/** The phone removed the device: code 401 makes it DisconnectReason.loggedOut (without it, 440). */
export const DEVICE_REMOVED: BinaryNode = {
  tag: 'stream:error',
  attrs: { code: '401' },
  content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }],
};

/** Another connection logged in as the same device: 440 connectionReplaced. */
export const CONNECTION_REPLACED: BinaryNode = {
  tag: 'stream:error',
  attrs: {},
  content: [{ tag: 'conflict', attrs: { type: 'replaced' } }],
};

/** Login of a device the server does not know (or no longer knows): 401 loggedOut. */
export const LOGIN_REFUSED: BinaryNode = { tag: 'failure', attrs: { reason: '401', location: 'simulator' } };

/**
 * Mid-session stream errors WhatsApp sends (Baileys' socket.js: a `code` attribute becomes the close's
 * status), and `end`, the server closing the XML stream (`xmlstreamend`, which Baileys closes with 428).
 */
export const MID_SESSION_STREAM_ERRORS = {
  '500': { tag: 'stream:error', attrs: { code: '500' } },
  '503': { tag: 'stream:error', attrs: { code: '503' } },
  '515': { tag: 'stream:error', attrs: { code: '515' } },
  end: { tag: 'xmlstreamend', attrs: {} },
} as const satisfies Record<string, BinaryNode>;

export type StreamErrorKind = keyof typeof MID_SESSION_STREAM_ERRORS;
