// The connector proves it knows CONNECTOR_SECRET without sending it: an HMAC over the hub's one-time nonce.
// WebCrypto only, so the same code runs in workerd (hub) and Node (connector).

const encoder = new TextEncoder();

/** How far a hello's timestamp may be from the hub's clock. */
export const PROOF_MAX_SKEW_MS = 60_000;

export async function connectorProof(secret: string, connectorId: string, nonce: string, timestamp: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`kabar-hub/1\n${connectorId}\n${nonce}\n${timestamp}`));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, '0')).join('');
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
  const expected = await connectorProof(secret, connectorId, nonce, timestamp);
  if (expected.length !== proof.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ proof.charCodeAt(i);
  return diff === 0;
}
