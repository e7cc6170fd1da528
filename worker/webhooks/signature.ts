// Webhook signatures. X-Kabar-Signature signs "timestamp.body", so a captured request cannot be replayed
// later with a fresh timestamp; X-Hub-Signature-256 signs the body alone, as Meta's Cloud API does, so
// verifiers written for it work unchanged.

const encoder = new TextEncoder();

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(message));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** `timestamp` is unix seconds, as sent in X-Kabar-Timestamp. */
export async function signWebhook(secret: string, timestamp: number, body: string): Promise<string> {
  return `sha256=${await hmacHex(secret, `${timestamp}.${body}`)}`;
}

export async function signBodyOnly(secret: string, body: string): Promise<string> {
  return `sha256=${await hmacHex(secret, body)}`;
}
