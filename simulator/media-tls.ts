// The media host's TLS identity: a fixed test CA and a leaf for localhost and 127.0.0.1 that it signed,
// published on purpose like the simulator's test root key (test-root.ts). Baileys uploads and downloads
// media over https only, so a client trusts MEDIA_TEST_CA (`fetchAgent: new https.Agent({ ca })` for
// uploads, an undici dispatcher with `connect: { ca }` for downloads); nothing else should ever trust it.
// Made once with `openssl ca` (P-256 keys, valid 2020-01-01 to 2049-12-31, so a skewed test clock still
// accepts it); the CA's private key was not kept, so nothing else can chain to this CA.

/** The CA a client trusts to reach the simulator's media host. */
export const MEDIA_TEST_CA = `-----BEGIN CERTIFICATE-----
MIIBgTCCASegAwIBAgIBATAKBggqhkjOPQQDAjAoMSYwJAYDVQQDDB1rYWJhciBz
aW11bGF0b3IgdGVzdCBtZWRpYSBDQTAeFw0yMDAxMDEwMDAwMDBaFw00OTEyMzEy
MzU5NTlaMCgxJjAkBgNVBAMMHWthYmFyIHNpbXVsYXRvciB0ZXN0IG1lZGlhIENB
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcGjmaE9bVzV7sCkJ78mqvsfQjvak
MQUHKMA7ukuU4pNwhz+cB5z120ZTf4FpDfYTv8/xhOXHZ++zqRo2VkHxmaNCMEAw
DwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFLf+vKhK
C4SUbDZ/5I1BHEsQsqMgMAoGCCqGSM49BAMCA0gAMEUCIHRokfRMlMa8JVoo2X6b
DgKT2sxGIc8JQ5Z2+Iq/HaIWAiEA4eGw8egSZO5+On0VB0XZfM/RWTAkAMKMN3Bd
bLPDtSA=
-----END CERTIFICATE-----`;

/** The media host's certificate (SANs DNS:localhost, IP:127.0.0.1) and its key. */
export const MEDIA_HOST_CERT = `-----BEGIN CERTIFICATE-----
MIIBvjCCAWSgAwIBAgIBAjAKBggqhkjOPQQDAjAoMSYwJAYDVQQDDB1rYWJhciBz
aW11bGF0b3IgdGVzdCBtZWRpYSBDQTAeFw0yMDAxMDEwMDAwMDBaFw00OTEyMzEy
MzU5NTlaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABAa7xg5jx1qHFJtpBFL47bw+gdckmqLvsQqDytw5e69Zg/U7DFyGk0MY
aI7eyLTuP8BGigZK7H5ZghQzDPX4PSOjgZIwgY8wGgYDVR0RBBMwEYIJbG9jYWxo
b3N0hwR/AAABMAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQM
MAoGCCsGAQUFBwMBMB8GA1UdIwQYMBaAFLf+vKhKC4SUbDZ/5I1BHEsQsqMgMB0G
A1UdDgQWBBRN18EcLG9JMXiffiHQD1OTEK7kajAKBggqhkjOPQQDAgNIADBFAiEA
5DWXPHrCMjwMdQgrciVccowfVZS8cC4lElpmPsvmATwCIFsUjts26qr+hFS1m2vK
XAc/pQNVSY0JSOMjv89RCBeL
-----END CERTIFICATE-----`;

export const MEDIA_HOST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgiPjcORP/9RL17voF
2kjL/pQ9ew0iaysBGqzZCcsww+mhRANCAAQGu8YOY8dahxSbaQRS+O28PoHXJJqi
77EKg8rcOXuvWYP1OwxchpNDGGiO3si07j/ARooGSux+WYIUMwz1+D0j
-----END PRIVATE KEY-----`;
