// The phone's side of QR pairing: reading the QR a device shows, signing the device into the account
// (ADV identity with account signature and HMAC), and checking the device's counter-signature.
import { randomBytes, randomInt } from 'node:crypto';
import {
  Curve,
  hmacSign,
  proto,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  WA_ADV_DEVICE_SIG_PREFIX,
} from '@whiskeysockets/baileys';
import type { KeyPair } from '@whiskeysockets/baileys';
import * as curve from 'libsignal/src/curve.js';

export type QrData = {
  ref: string;
  noiseKey: Buffer;
  identityKey: Buffer;
  advSecret: Buffer;
  platformId: string;
};

const QR_PREFIX = 'https://wa.me/settings/linked_devices#';

/** Parses "[prefix]ref,noiseKey,identityKey,advSecret,platform" (keys base64), or undefined if malformed. */
export function parseQr(qr: string): QrData | undefined {
  const parts = (qr.startsWith(QR_PREFIX) ? qr.slice(QR_PREFIX.length) : qr).split(',');
  if (parts.length !== 5 || parts.some((part) => part.length === 0)) return undefined;
  const [ref, noise, identity, adv, platformId] = parts as [string, string, string, string, string];
  const noiseKey = Buffer.from(noise, 'base64');
  const identityKey = Buffer.from(identity, 'base64');
  const advSecret = Buffer.from(adv, 'base64');
  if (noiseKey.length !== 32 || identityKey.length !== 32 || advSecret.length !== 32) return undefined;
  return { ref, noiseKey, identityKey, advSecret, platformId };
}

/** A real XEdDSA check (Baileys' Curve.verify currently accepts any 64-byte signature). */
export function verifySignature(publicKey32: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey32.length !== 32 || signature.length !== 64) return false;
  return curve.verifySignature(Buffer.concat([Buffer.from([5]), publicKey32]), message, signature);
}

export type DeviceIdentityInput = {
  accountKey: KeyPair;
  /** The companion's Signal identity key (32 bytes), which the account signature covers. */
  identityKey: Uint8Array;
  advSecret: Uint8Array;
  keyIndex: number;
  /** Replace the account signature with random bytes, so a client that verifies it must refuse. */
  forgeAccountSignature?: boolean | undefined;
  /** When the phone linked the device (epoch ms), stamped in the identity; default now. */
  linkedAt?: number | undefined;
};

/** The serialized ADVSignedDeviceIdentityHMAC the phone sends in pair-success. */
export function signDeviceIdentity(input: DeviceIdentityInput): Uint8Array {
  // keyIndex must be present: Baileys calls keyIndex.toString() on the decoded identity.
  const details = proto.ADVDeviceIdentity.encode({
    rawId: randomInt(1, 2 ** 31),
    timestamp: Math.floor((input.linkedAt ?? Date.now()) / 1000),
    keyIndex: input.keyIndex,
  }).finish();
  const accountSignature = input.forgeAccountSignature
    ? randomBytes(64)
    : Curve.sign(input.accountKey.private, Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, input.identityKey]));
  const signed = proto.ADVSignedDeviceIdentity.encode({
    details,
    accountSignatureKey: input.accountKey.public,
    accountSignature,
  }).finish();
  return proto.ADVSignedDeviceIdentityHMAC.encode({
    details: signed,
    hmac: hmacSign(signed, input.advSecret),
  }).finish();
}

/**
 * Checks the device's pair-device-sign answer: its ADVSignedDeviceIdentity must carry a device
 * signature over (prefix, details, its identity key, the account key) made with that identity key.
 */
export function checkDeviceSignature(signedIdentity: Uint8Array, identityKey: Uint8Array, accountKey: KeyPair): boolean {
  const { details, deviceSignature } = proto.ADVSignedDeviceIdentity.decode(signedIdentity);
  if (!details || !deviceSignature) return false;
  const message = Buffer.concat([WA_ADV_DEVICE_SIG_PREFIX, details, identityKey, accountKey.public]);
  return verifySignature(identityKey, message, deviceSignature);
}
