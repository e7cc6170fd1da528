// drizzle-orm's libsql driver and migrator against the server, as the Worker uses them.
import { createClient, LibsqlError } from '@libsql/client/web';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/libsql/web';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { blob, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LibsqlServer, startLibsqlServer } from './server.ts';

const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  email: text('email').notNull().unique(),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
  createdAt: integer('created_at', { mode: 'timestamp' }).notNull(),
  avatar: blob('avatar', { mode: 'buffer' }),
  profile: text('profile', { mode: 'json' }).$type<{ name: string }>(),
});

const dir = mkdtempSync(join(tmpdir(), 'libsql-drizzle-'));
const migrationsFolder = join(dir, 'migrations');
let server: LibsqlServer;
let db: ReturnType<typeof drizzle>;

function writeMigrations(files: Record<string, string>): void {
  mkdirSync(join(migrationsFolder, 'meta'), { recursive: true });
  const entries = Object.keys(files).map((tag, idx) => ({ idx, version: '6', when: 1_700_000_000_000 + idx, tag, breakpoints: true }));
  writeFileSync(join(migrationsFolder, 'meta', '_journal.json'), JSON.stringify({ version: '7', dialect: 'sqlite', entries }));
  for (const [tag, text] of Object.entries(files)) writeFileSync(join(migrationsFolder, `${tag}.sql`), text);
}

const initial = {
  '0000_init': [
    'CREATE TABLE `users` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL, `email` text NOT NULL, '
      + '`active` integer DEFAULT true NOT NULL, `created_at` integer NOT NULL, `avatar` blob, `profile` text);',
    'CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);',
    'CREATE TABLE `audit` (`note` text);',
    "CREATE TRIGGER `users_deleted` AFTER DELETE ON `users` BEGIN INSERT INTO `audit` VALUES ('deleted; ' || old.email); END;",
  ].join('\n--> statement-breakpoint\n'),
};

beforeAll(async () => {
  server = await startLibsqlServer({ file: join(dir, 'db'), authToken: 'drizzle-test-token' });
  // Default intMode, as the Worker uses: drizzle's timestamp columns cannot read bigint.
  db = drizzle({ client: createClient({ url: server.url, authToken: 'drizzle-test-token' }) });
});

afterAll(async () => {
  db.$client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const applied = async () => (await db.$client.execute('SELECT count(*) AS c FROM __drizzle_migrations')).rows[0]?.c;

describe('drizzle', () => {
  it('migrates, and a second run is a no-op', async () => {
    writeMigrations(initial);
    await migrate(db, { migrationsFolder });
    await migrate(db, { migrationsFolder });
    expect(await applied()).toBe(1);
    writeMigrations({ ...initial, '0001_nickname': 'ALTER TABLE `users` ADD `nickname` text;' });
    await migrate(db, { migrationsFolder });
    await migrate(db, { migrationsFolder });
    expect(await applied()).toBe(2);
    const columns = await db.$client.execute("SELECT name FROM pragma_table_info('users') WHERE name = 'nickname'");
    expect(columns.rows).toHaveLength(1);
    expect(server.openStreams()).toBe(0);
  });

  it('round-trips booleans, timestamps, blobs and JSON', async () => {
    const createdAt = new Date('2026-01-02T03:04:05Z');
    const [inserted] = await db.insert(users).values({
      email: 'drizzle@x', active: false, createdAt, avatar: Buffer.from([1, 2, 3]), profile: { name: 'Ayu' },
    }).returning();
    expect(inserted).toMatchObject({ email: 'drizzle@x', active: false, createdAt, profile: { name: 'Ayu' } });
    const [read] = await db.select().from(users).where(eq(users.email, 'drizzle@x')).limit(1).offset(0);
    expect([...read!.avatar!]).toEqual([1, 2, 3]);
    await db.delete(users).where(eq(users.email, 'drizzle@x'));
    const audit = await db.$client.execute('SELECT note FROM audit');
    expect(audit.rows.map((row) => row.note)).toEqual(['deleted; drizzle@x']);
  });

  it('rolls back a nested savepoint inside a committed transaction', async () => {
    await db.transaction(async (tx) => {
      await tx.insert(users).values({ email: 'outer@x', createdAt: new Date() });
      await expect(tx.transaction(async (inner) => {
        await inner.insert(users).values({ email: 'inner@x', createdAt: new Date() });
        throw new Error('undo inner');
      })).rejects.toThrow('undo inner');
    });
    const emails = (await db.select({ email: users.email }).from(users)).map((row) => row.email);
    expect(emails).toContain('outer@x');
    expect(emails).not.toContain('inner@x');
  });

  it('rolls a whole transaction back on a constraint error', async () => {
    const failure = await db.transaction(async (tx) => {
      await tx.insert(users).values({ email: 'doomed@x', createdAt: new Date() });
      await tx.insert(users).values({ email: 'outer@x', createdAt: new Date() });
    }).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    const cause = (failure as Error).cause;
    expect(cause).toBeInstanceOf(LibsqlError);
    expect((cause as LibsqlError).code).toBe('SQLITE_CONSTRAINT');
    const [row] = await db.select({ n: sql<number>`count(*)` }).from(users).where(eq(users.email, 'doomed@x'));
    expect(row?.n).toBe(0);
    expect(server.openStreams()).toBe(0);
  });

  it('runs db.batch', async () => {
    const [, found] = await db.batch([
      db.insert(users).values({ email: 'batched@x', createdAt: new Date() }),
      db.select().from(users).where(eq(users.email, 'batched@x')),
    ]);
    expect(found).toHaveLength(1);
  });
});
