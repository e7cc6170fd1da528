import { createPrivateKey, createPublicKey } from 'node:crypto';
import { Curve, proto } from '@whiskeysockets/baileys';
import { describe, expect, test } from 'vitest';
import { buildCertChain, rootPrivateKey } from './cert-chain.ts';
import { verifySignature } from './pairing.ts';
import { TEST_ROOT_PUBLIC_KEY } from './test-root.ts';

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

function publicOf(privateKey: Buffer): Buffer {
  const key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, privateKey]), format: 'der', type: 'pkcs8' });
  return createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32);
}

describe('certificate chain', () => {
  test('the published test root key is the public half of the key that signs chains', () => {
    expect(publicOf(rootPrivateKey('test'))).toEqual(TEST_ROOT_PUBLIC_KEY);
  });

  test('a test-root chain verifies with real XEdDSA from the root down to the server key', () => {
    const server = Curve.generateKeyPair();
    const chain = proto.CertChain.decode(buildCertChain(server.public, 'test'));
    const intermediate = proto.CertChain.NoiseCertificate.Details.decode(chain.intermediate!.details!);
    const leaf = proto.CertChain.NoiseCertificate.Details.decode(chain.leaf!.details!);
    expect(intermediate.issuerSerial).toBe(0);
    expect(verifySignature(TEST_ROOT_PUBLIC_KEY, chain.intermediate!.details!, chain.intermediate!.signature!)).toBe(true);
    expect(verifySignature(intermediate.key!, chain.leaf!.details!, chain.leaf!.signature!)).toBe(true);
    expect(Buffer.from(leaf.key!)).toEqual(server.public);
  });

  test('a wrong-root chain does not verify against the test root', () => {
    const chain = proto.CertChain.decode(buildCertChain(Curve.generateKeyPair().public, 'wrong'));
    expect(verifySignature(TEST_ROOT_PUBLIC_KEY, chain.intermediate!.details!, chain.intermediate!.signature!)).toBe(false);
  });
});
