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
}

export function loadLocalSecrets(dataDir: string): LocalSecrets {
  const file = join(dataDir, 'local-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  const secrets: LocalSecrets = {
    adminToken: randomBytes(24).toString('base64url'),
    connectorSecret: randomBytes(32).toString('hex'),
    authStateKey: randomBytes(32).toString('hex'),
    webhookSecret: randomBytes(32).toString('hex'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
