// `npm run db:migrate`: migrates the database named by TURSO_DATABASE_URL (with TURSO_AUTH_TOKEN).
import { migrateDatabase } from './migrate-database.ts';

const url = process.env.TURSO_DATABASE_URL;
if (!url) {
  console.error('TURSO_DATABASE_URL is not set: name the database to migrate (libsql://… for Turso)');
  process.exit(1);
}
await migrateDatabase(url, process.env.TURSO_AUTH_TOKEN || undefined);
console.log(`migrated ${url.replace(/\?.*$/, '')}`);
