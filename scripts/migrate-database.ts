// Applies the drizzle-kit migrations in migrations/ to a libSQL database over HTTP (Turso or the local
// server), exactly as the Worker will reach it.
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client/web';
import { drizzle } from 'drizzle-orm/libsql/web';
import { migrate } from 'drizzle-orm/libsql/migrator';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

export async function migrateDatabase(url: string, authToken?: string): Promise<void> {
  const client = createClient({ url, authToken });
  try {
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS });
  } finally {
    client.close();
  }
}
