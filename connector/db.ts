// The connector's own local store (a libSQL file by default, or a Turso database): auth state, the event
// outbox, the last applied auth epoch per session, the devices still to unlink and the last status
// reported of each sent message. Its small schema is
// created here at start.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createClient, type Client } from '@libsql/client';

export type { Client };

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS auth_state (
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (session_id, kind, id)
  ) WITHOUT ROWID`,
  // seq orders resends oldest first; id is what the hub acks.
  `CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    event TEXT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS session_epoch (
    session_id TEXT PRIMARY KEY,
    auth_epoch INTEGER NOT NULL
  )`,
  // A forgotten login whose device WhatsApp has not yet removed (it could not be reached): the sealed creds
  // are kept, apart from auth_state, only to log that device out later. One row per linked device.
  `CREATE TABLE IF NOT EXISTS pending_unlink (
    session_id TEXT NOT NULL,
    device TEXT NOT NULL,
    creds BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, device)
  ) WITHOUT ROWID`,
  // The last status reported per sent message, so a restart neither repeats a status nor goes back.
  `CREATE TABLE IF NOT EXISTS message_status (
    session_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (session_id, message_id)
  ) WITHOUT ROWID`,
];

/** Opens the store; for a local `file:` URL the directory is created first. */
export async function openConnectorDb(url: string, authToken?: string): Promise<Client> {
  if (url.startsWith('file:')) {
    const path = url.slice('file:'.length).split('?')[0] ?? '';
    if (path && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  }
  const client = createClient(authToken ? { url, authToken } : { url });
  if (url.startsWith('file:') && !url.includes(':memory:')) {
    // A rollback journal costs ~5 ms of blocking fsync per commit here, and every send commits several
    // times; WAL costs ~0.3 ms. The default synchronous setting still makes each commit durable, which the
    // outbox and the pre-receipt hook rely on.
    await client.execute('PRAGMA journal_mode = WAL');
  }
  await migrateConnectorDb(client);
  return client;
}

export async function migrateConnectorDb(client: Client): Promise<void> {
  await client.batch(SCHEMA, 'write');
}
