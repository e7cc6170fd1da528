// The gateway's edge for benchmarks: as testing/stack.ts (libSQL server + the Worker in workerd) with the
// bare Hono reference worker (bare-worker/) added to the same workerd, reached with Host: BARE_HOST.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@libsql/client/web';
import { createTestHarness } from 'wrangler';
import { startLibsqlServer } from '../libsql-server/server.ts';
import { migrateDatabase } from '../scripts/migrate-database.ts';

export const BARE_HOST = 'bare.bench.local';

/** Limits high enough that the benchmarks measure the gateway, not its rate limiter (they apply at key creation). */
export const UNLIMITED_VARS = {
  RATE_LIMIT_SEND_PER_MIN: '1000000',
  RATE_LIMIT_OTHER_PER_MIN: '1000000',
  ADMIN_RATE_LIMIT_SEND_PER_MIN: '1000000',
  ADMIN_RATE_LIMIT_OTHER_PER_MIN: '1000000',
};

export type BenchStack = {
  url: string;
  hubUrl: string;
  adminToken: string;
  connectorSecret: string;
  db: Client;
  close(): Promise<void>;
};

export async function startBenchStack(vars: Record<string, string> = UNLIMITED_VARS): Promise<BenchStack> {
  const dir = await mkdtemp(join(tmpdir(), 'kabar-bench-'));
  const database = await startLibsqlServer({ file: join(dir, 'kabar.db') });
  await migrateDatabase(database.url);
  const adminToken = randomBytes(24).toString('hex');
  const connectorSecret = randomBytes(24).toString('hex');
  const harness = createTestHarness({
    workers: [
      {
        configPath: join(import.meta.dirname, '..', 'wrangler.toml'),
        vars,
        secrets: { ADMIN_TOKEN: adminToken, CONNECTOR_SECRET: connectorSecret, TURSO_DATABASE_URL: database.url },
      },
      { configPath: join(import.meta.dirname, 'bare-worker', 'wrangler.toml') },
    ],
  });
  const { url } = await harness.listen();
  const db = createClient({ url: database.url });
  return {
    url: url.origin,
    hubUrl: url.origin.replace(/^http/, 'ws'),
    adminToken,
    connectorSecret,
    db,
    async close() {
      db.close();
      await harness.close();
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
