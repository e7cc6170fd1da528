// The connector proves it knows CONNECTOR_SECRET without sending it: an HMAC over the hub's one-time nonce.
import { hmacHex, sameHex } from './hmac.ts';

/** How far a hello's timestamp may be from the hub's clock. */
export const PROOF_MAX_SKEW_MS = 60_000;

export function connectorProof(secret: string, connectorId: string, nonce: string, timestamp: number): Promise<string> {
  return hmacHex(secret, `kabar-hub/1\n${connectorId}\n${nonce}\n${timestamp}`);
}

/** Constant-time check of a received proof against the expected one. */
export async function verifyConnectorProof(
  secret: string,
  connectorId: string,
  nonce: string,
  timestamp: number,
  proof: string,
  now: number,
): Promise<boolean> {
  if (Math.abs(now - timestamp) > PROOF_MAX_SKEW_MS) return false;
  return sameHex(await connectorProof(secret, connectorId, nonce, timestamp), proof);
}
