// The Noise certificate chain the simulator presents in its ServerHello: root -> intermediate -> leaf,
// where the leaf certifies the server's static key, all signed with XEdDSA as WhatsApp does.
import { Curve, proto } from '@whiskeysockets/baileys';

/** Which root signs the intermediate: the published test root, or a wrong one (to prove clients refuse it). */
export type CertRoot = 'test' | 'wrong';

// Private halves of the test roots. TEST keys, deliberately public: the matching public key of
// 'test' is TEST_ROOT_PUBLIC_KEY in test-root.ts; 'wrong' is trusted by nobody.
const ROOT_PRIVATE_KEYS: Record<CertRoot, Buffer> = {
  test: Buffer.from('c8d04bf28c761f9ace76d04d0f9c8d1e98652d5a2b37ce4962b67148bb241765', 'hex'),
  wrong: Buffer.from('f80de068244bb714989e3a7b7985f299334c86db0699756b4ac7f197faa57657', 'hex'),
};

// Baileys requires intermediate.issuerSerial === WA_CERT_DETAILS.SERIAL (0), so it must be encoded
// explicitly: proto3 "optional" decodes an absent field as null, not 0.
const ROOT_SERIAL = 0;
const INTERMEDIATE_SERIAL = 1;
const LEAF_SERIAL = 2;
const VALIDITY_SECONDS = 10 * 365 * 24 * 3600;

export function rootPrivateKey(root: CertRoot): Buffer {
  return ROOT_PRIVATE_KEYS[root];
}

/** Serialized proto.CertChain certifying serverStaticPublic (32 raw bytes). */
export function buildCertChain(serverStaticPublic: Uint8Array, root: CertRoot): Uint8Array {
  const notBefore = Math.floor(Date.now() / 1000) - 3600;
  const notAfter = notBefore + VALIDITY_SECONDS;
  const intermediateKeys = Curve.generateKeyPair();
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: INTERMEDIATE_SERIAL,
    issuerSerial: ROOT_SERIAL,
    key: intermediateKeys.public,
    notBefore,
    notAfter,
  }).finish();
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: LEAF_SERIAL,
    issuerSerial: INTERMEDIATE_SERIAL,
    key: serverStaticPublic,
    notBefore,
    notAfter,
  }).finish();
  return proto.CertChain.encode({
    intermediate: {
      details: intermediateDetails,
      signature: Curve.sign(ROOT_PRIVATE_KEYS[root], intermediateDetails),
    },
    leaf: { details: leafDetails, signature: Curve.sign(intermediateKeys.private, leafDetails) },
  }).finish();
}
