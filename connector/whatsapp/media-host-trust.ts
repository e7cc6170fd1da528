// Adds a CA to the certificates every TLS client of this process trusts by default: Baileys uploads media
// with https.request (its fetchAgent) and downloads it with the global fetch, and both fall back to these.
// Used only for the simulator's media host (simulator-trust.ts), never in production: Node's own
// tls.setDefaultCACertificates needs no dependency, so it works under `npm ci --omit=dev`, and it covers
// connector processes and in-process tests alike, where NODE_EXTRA_CA_CERTS would have to be set before start.
import tls from 'node:tls';

/** Trusts `ca` besides the defaults; returns what puts the defaults back. */
export function trustMediaHostCa(ca: string): () => void {
  const before = tls.getCACertificates('default');
  tls.setDefaultCACertificates([...before, ca]);
  return () => tls.setDefaultCACertificates(before);
}
