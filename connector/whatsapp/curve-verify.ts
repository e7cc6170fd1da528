// Guards against a Baileys 7.0.0-rc14 defect: its Curve.verify expects libsignal's verifySignature to
// throw on a bad signature, but libsignal 6 returns false, so every 64-byte signature "verifies" and
// neither WhatsApp's Noise certificate chain nor a pairing's account signature is really checked.
import { createRequire } from 'node:module';
import { Curve } from '@whiskeysockets/baileys';

type CurveModule = { verifySignature(pubKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean };

// Resolved from Baileys' own location so we check with the very libsignal copy Baileys uses.
const requireFromBaileys = createRequire(createRequire(import.meta.url).resolve('@whiskeysockets/baileys'));
const libsignalCurve = requireFromBaileys('libsignal/src/curve.js') as CurveModule;

/** Baileys keys are 32 raw bytes; libsignal wants the 0x05 type prefix. */
function signalPubKey(pubKey: Uint8Array): Buffer {
  return pubKey.length === 33 ? Buffer.from(pubKey) : Buffer.concat([Buffer.from([5]), pubKey]);
}

/** The check Baileys meant: true only for a valid signature, false for a bad one or bad input. */
export function strictVerify(pubKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return libsignalCurve.verifySignature(signalPubKey(pubKey), message, signature) === true;
  } catch {
    return false;
  }
}

/** True when the installed Curve.verify rejects a forged signature (the patch is applied or upstream fixed it). */
export function curveVerifyRejectsForgeries(): boolean {
  const { public: pub } = Curve.generateKeyPair();
  return Curve.verify(pub, Buffer.from('kabar curve.verify self-test'), Buffer.alloc(64, 7)) === false;
}

/**
 * Makes sure signature checks bite in this process. Baileys' modules import the one exported `Curve`
 * object and call `Curve.verify` by property at call time (noise-handler.js, validate-connection.js), so
 * replacing the property fixes every caller. Returns what was done, for the start-up log.
 */
export function ensureCurveVerify(): 'already-strict' | 'patched-at-runtime' {
  if (curveVerifyRejectsForgeries()) return 'already-strict';
  Curve.verify = strictVerify;
  if (!curveVerifyRejectsForgeries()) throw new Error('could not make Curve.verify reject forged signatures');
  return 'patched-at-runtime';
}
