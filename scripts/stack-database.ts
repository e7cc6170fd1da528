// The database of a stack on one machine: Turso when TURSO_DATABASE_URL names one, else the local libSQL
// server on a file in the data folder; migrated either way before the Worker is started on it.
import { join } from 'node:path';
import { startLibsqlServer } from '../libsql-server/server.ts';
import { migrateDatabase } from './migrate-database.ts';

export interface StackDatabase {
  url: string;
  authToken: string | undefined;
  /** Where it lives, for the start-up banner. */
  describe: string;
  close(): Promise<void>;
}

export async function openStackDatabase(env: NodeJS.ProcessEnv, options: { dataDir: string; localAuthToken: string; libsqlPort: number }): Promise<StackDatabase> {
  let database: StackDatabase;
  if (env.TURSO_DATABASE_URL) {
    database = { url: env.TURSO_DATABASE_URL, authToken: env.TURSO_AUTH_TOKEN || undefined, describe: 'TURSO_DATABASE_URL', close: async () => {} };
  } else {
    const file = join(options.dataDir, 'kabar.db');
    const server = await startLibsqlServer({ file, port: options.libsqlPort, authToken: options.localAuthToken });
    database = { url: server.url, authToken: options.localAuthToken, describe: `${server.url} (${file})`, close: () => server.close() };
  }
  try {
    await migrateDatabase(database.url, database.authToken);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}
