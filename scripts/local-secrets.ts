// Secrets for a local stack, generated on first start and kept in data/ (git-ignored), so a restart keeps
// the same admin token and can still decrypt the WhatsApp logins it stored.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalSecrets {
  adminToken: string;
  connectorSecret: string;
  authStateKey: string;
  webhookSecret: string;
  /** The local libSQL server's bearer token, given to the Worker as TURSO_AUTH_TOKEN. */
  libsqlAuthToken: string;
}

const GENERATORS: { [name in keyof LocalSecrets]: () => string } = {
  adminToken: () => randomBytes(24).toString('base64url'),
  connectorSecret: () => randomBytes(32).toString('hex'),
  authStateKey: () => randomBytes(32).toString('hex'),
  webhookSecret: () => randomBytes(32).toString('hex'),
  libsqlAuthToken: () => randomBytes(32).toString('base64url'),
};

/** Existing secrets are never replaced (the auth state key decrypts stored logins); missing ones are added. */
export function loadLocalSecrets(dataDir: string): LocalSecrets {
  const file = join(dataDir, 'local-secrets.json');
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>) : {};
  const missing = (Object.keys(GENERATORS) as (keyof LocalSecrets)[]).filter((name) => !stored[name]);
  if (missing.length === 0) return stored as LocalSecrets;
  const secrets = { ...stored, ...Object.fromEntries(missing.map((name) => [name, GENERATORS[name]()])) } as LocalSecrets;
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
