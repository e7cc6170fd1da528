// What a stack on one machine gives the Worker and the connector: the operator's variables passed through,
// the stack's own wiring (database, hub URL, data files) and the secrets from the environment or data/.
import { join } from 'node:path';
import type { LocalSecrets } from './local-secrets.ts';

export interface StackWiring {
  env: NodeJS.ProcessEnv;
  secrets: LocalSecrets;
  dataDir: string;
  /** The Worker's port on loopback: the connector dials it, and media links must be on that origin. */
  port: number;
  databaseUrl: string;
  databaseToken: string | undefined;
}

export const adminTokenOf = ({ env, secrets }: Pick<StackWiring, 'env' | 'secrets'>) => env.ADMIN_TOKEN || secrets.adminToken;
export const connectorSecretOf = ({ env, secrets }: Pick<StackWiring, 'env' | 'secrets'>) => env.CONNECTOR_SECRET || secrets.connectorSecret;

/** The Worker's variables: those it reads from the environment, then the stack's own. Unset ones are left out. */
export function workerVars(wiring: StackWiring, configVariables: readonly string[], defaults: Record<string, string> = {}): Record<string, string> {
  const { env, secrets, port } = wiring;
  const vars: Record<string, string | undefined> = {
    ...defaults,
    ...Object.fromEntries(Object.entries(env).filter(([name, value]) => configVariables.includes(name) && value !== '')),
    TURSO_DATABASE_URL: wiring.databaseUrl,
    TURSO_AUTH_TOKEN: wiring.databaseToken,
    ADMIN_TOKEN: adminTokenOf(wiring),
    CONNECTOR_SECRET: connectorSecretOf(wiring),
    WEBHOOK_SECRET: env.WEBHOOK_SECRET || secrets.webhookSecret,
    // The origin the connector dials (hubUrl below): media links must be on it, whether a request came in
    // as localhost or 127.0.0.1.
    PUBLIC_URL: env.PUBLIC_URL || `http://127.0.0.1:${port}`,
  };
  return Object.fromEntries(Object.entries(vars).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

/** The connector's environment: the operator's, with the hub on loopback and its store in the data folder. */
export function connectorEnv(wiring: StackWiring, overrides: Record<string, string>): NodeJS.ProcessEnv {
  const { env, secrets, dataDir, port } = wiring;
  return {
    ...env,
    HUB_URL: `ws://127.0.0.1:${port}`,
    CONNECTOR_ID: env.CONNECTOR_ID || 'local',
    CONNECTOR_SECRET: connectorSecretOf(wiring),
    AUTH_STATE_KEY: env.AUTH_STATE_KEY || secrets.authStateKey,
    CONNECTOR_DB_URL: env.CONNECTOR_DB_URL || `file:${join(dataDir, 'connector.db')}`,
    ...overrides,
  };
}
