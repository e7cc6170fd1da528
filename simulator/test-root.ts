// The simulator's certificate root: Baileys pins WhatsApp's root key, so a client may talk to the
// simulator only after trustSimulatorRoot() has swapped the pinned key for this test key.
import { WA_CERT_DETAILS } from '@whiskeysockets/baileys';

/**
 * Public half of the simulator's test root (X25519, 32 raw bytes). This is a TEST key, published
 * on purpose together with its private half (cert-chain.ts): it proves nothing outside the simulator.
 */
export const TEST_ROOT_PUBLIC_KEY: Buffer<ArrayBuffer> = Buffer.from(
  '7e95403fcd120783b63f89aa9efcce44eabe504329a496970649f1f5d822895c',
  'hex',
);

/**
 * Makes every Baileys socket in this process accept certificate chains signed by the test root
 * (and no longer WhatsApp's). Baileys reads WA_CERT_DETAILS at handshake time, so mutating it
 * works; returns a function restoring the previous key.
 */
export function trustSimulatorRoot(): () => void {
  const previous = WA_CERT_DETAILS.PUBLIC_KEY;
  WA_CERT_DETAILS.PUBLIC_KEY = TEST_ROOT_PUBLIC_KEY;
  return () => {
    WA_CERT_DETAILS.PUBLIC_KEY = previous;
  };
}
