import { Curve, hmacSign, proto, WA_ADV_ACCOUNT_SIG_PREFIX } from '@whiskeysockets/baileys';
import { describe, expect, test } from 'vitest';
import { parseQr, signDeviceIdentity, verifySignature } from './pairing.ts';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');

describe('parseQr', () => {
  test('reads the ref and keys of the QR Baileys shows', () => {
    const qr = `https://wa.me/settings/linked_devices#2@abc,${key(1)},${key(2)},${key(3)},1`;
    expect(parseQr(qr)).toEqual({
      ref: '2@abc',
      noiseKey: Buffer.alloc(32, 1),
      identityKey: Buffer.alloc(32, 2),
      advSecret: Buffer.alloc(32, 3),
      platformId: '1',
    });
  });

  test('rejects strings that are not linking QRs', () => {
    expect(parseQr('hello')).toBeUndefined();
    expect(parseQr(`2@abc,${key(1)},short,${key(3)},1`)).toBeUndefined();
  });
});

describe('signDeviceIdentity', () => {
  const accountKey = Curve.generateKeyPair();
  const identityKey = Curve.generateKeyPair().public;
  const advSecret = Buffer.alloc(32, 9);

  function open(container: Uint8Array) {
    const { details, hmac } = proto.ADVSignedDeviceIdentityHMAC.decode(container);
    const signed = proto.ADVSignedDeviceIdentity.decode(details!);
    const message = Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, signed.details!, identityKey]);
    return { details: details!, hmac: hmac!, signed, message };
  }

  test('signs the device with the account key and MACs it with the QR secret', () => {
    const { details, hmac, signed, message } = open(signDeviceIdentity({ accountKey, identityKey, advSecret, keyIndex: 3 }));
    expect(Buffer.from(hmac)).toEqual(hmacSign(details, advSecret));
    expect(Buffer.from(signed.accountSignatureKey!)).toEqual(accountKey.public);
    expect(verifySignature(accountKey.public, message, signed.accountSignature!)).toBe(true);
    expect(proto.ADVDeviceIdentity.decode(signed.details!).keyIndex).toBe(3);
  });

  test('a forged account signature keeps a valid HMAC but fails verification', () => {
    const container = signDeviceIdentity({ accountKey, identityKey, advSecret, keyIndex: 1, forgeAccountSignature: true });
    const { details, hmac, signed, message } = open(container);
    expect(Buffer.from(hmac)).toEqual(hmacSign(details, advSecret));
    expect(signed.accountSignature).toHaveLength(64);
    expect(verifySignature(accountKey.public, message, signed.accountSignature!)).toBe(false);
  });
});
