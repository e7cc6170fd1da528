// WhatsApp refuses a client whose version (the ClientPayload's userAgent.appVersion, sent in the Noise
// handshake) is older than it supports: a <failure reason="405"/> that Baileys closes with status 405.
import type { BinaryNode, proto } from '@whiskeysockets/baileys';

export type ClientVersion = readonly [number, number, number];

export const CLIENT_TOO_OLD: BinaryNode = { tag: 'failure', attrs: { reason: '405', location: 'simulator' } };

/** The version a client announced, [0, 0, 0] if it sent none. */
export function announcedVersion(payload: proto.IClientPayload): ClientVersion {
  const v = payload.userAgent?.appVersion;
  return [v?.primary ?? 0, v?.secondary ?? 0, v?.tertiary ?? 0];
}

/** True if `version` is older than `minimum` (compared part by part). */
export function isOlder(version: ClientVersion, minimum: ClientVersion): boolean {
  for (let i = 0; i < 3; i++) {
    if (version[i]! !== minimum[i]!) return version[i]! < minimum[i]!;
  }
  return false;
}
