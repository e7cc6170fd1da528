// A drizzle client over libSQL's HTTP protocol: Turso Cloud in production, the local libSQL server in
// development and tests. Made per request from the configuration, as Workers share nothing between requests.
import { createClient } from '@libsql/client/web';
import { drizzle } from 'drizzle-orm/libsql/web';
import * as schema from '../../shared/db/schema.ts';
import type { Config } from '../config.ts';

export function createDb(config: Pick<Config, 'TURSO_DATABASE_URL' | 'TURSO_AUTH_TOKEN'>) {
  const client = createClient({ url: config.TURSO_DATABASE_URL, authToken: config.TURSO_AUTH_TOKEN });
  return drizzle(client, { schema });
}

export type Db = ReturnType<typeof createDb>;
