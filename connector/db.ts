// The connector's own local store (a libSQL file by default, or a Turso database): auth state, the event
// outbox, the last applied auth epoch per session, the devices still to unlink, the last status
// reported of each sent message and recent messages. Its small schema is
// created here at start.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createClient, type Client } from '@libsql/client';
import type { Logger } from 'pino';
import { DurableStore } from './durable-store.ts';
import { LocalFileClient } from './local-file-client.ts';
import { LEASE_TABLE } from './lease.ts';
import { MEDIA_JOB_TABLE } from './media/media-jobs.ts';
import { QUARANTINE_TABLE } from './quarantine.ts';
import { SEND_QUEUE_SCHEMA } from './queue/send-queue.ts';
import { RECENT_MESSAGE_INDEX, RECENT_MESSAGE_TABLE } from './whatsapp/recent-messages.ts';
import { WalSync } from './wal-sync.ts';
import { SESSION_HOLD_TABLE } from './whatsapp/session-holds.ts';

export type { Client };

// Every row is owned by a connector id: several connectors may share one database (a Turso
// CONNECTOR_DB_URL), and each lists and touches only its own rows, so one can never unlink or resume
// another's logins.
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS auth_state (
    connector_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (connector_id, session_id, kind, id)
  ) WITHOUT ROWID`,
  // seq orders resends oldest first; id is what the hub acks.
  `CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    connector_id TEXT NOT NULL,
    id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    event TEXT NOT NULL,
    UNIQUE (connector_id, id)
  )`,
  `CREATE TABLE IF NOT EXISTS session_epoch (
    connector_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    auth_epoch INTEGER NOT NULL,
    PRIMARY KEY (connector_id, session_id)
  ) WITHOUT ROWID`,
  // A forgotten login whose device WhatsApp has not yet removed (it could not be reached): the sealed creds
  // are kept, apart from auth_state, only to log that device out later. One row per linked device.
  `CREATE TABLE IF NOT EXISTS pending_unlink (
    connector_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    device TEXT NOT NULL,
    creds BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (connector_id, session_id, device)
  ) WITHOUT ROWID`,
  QUARANTINE_TABLE,
  LEASE_TABLE,
  SESSION_HOLD_TABLE,
  // The last status reported per sent message, so a restart neither repeats a status nor goes back.
  `CREATE TABLE IF NOT EXISTS message_status (
    session_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (session_id, message_id)
  ) WITHOUT ROWID`,
  // Recent messages, sealed, for answering retry receipts (whatsapp/recent-messages.ts).
  RECENT_MESSAGE_TABLE,
  RECENT_MESSAGE_INDEX,
  // Received media still to fetch and store (media/media-jobs.ts).
  MEDIA_JOB_TABLE,
  // The durable outbound queue, its pauses and the send log the pacing counts (queue/send-queue.ts).
  ...SEND_QUEUE_SCHEMA,
];

/** Stores written before rows were owned: their rows are adopted by the connector that opens them first. */
const LEGACY_COPY: Record<string, string> = {
  auth_state: 'INSERT INTO auth_state (connector_id, session_id, kind, id, value) SELECT ?, session_id, kind, id, value FROM legacy_auth_state',
  outbox: 'INSERT INTO outbox (seq, connector_id, id, session_id, at, event) SELECT seq, ?, id, session_id, at, event FROM legacy_outbox',
  session_epoch: 'INSERT INTO session_epoch (connector_id, session_id, auth_epoch) SELECT ?, session_id, auth_epoch FROM legacy_session_epoch',
  pending_unlink:
    'INSERT INTO pending_unlink (connector_id, session_id, device, creds, attempts) SELECT ?, session_id, device, creds, attempts FROM legacy_pending_unlink',
};

export type OpenOptions = {
  authToken?: string | undefined;
  /** Owner given to the rows of a store written before rows were owned; required to open such a store. */
  connectorId?: string;
  logger?: Logger;
};

/** Opens the store; for a local `file:` URL the directory is created first. */
export async function openConnectorDb(url: string, { authToken, connectorId, logger }: OpenOptions = {}): Promise<Client> {
  const path = url.startsWith('file:') ? (url.slice('file:'.length).split('?')[0] ?? '') : '';
  const local = path !== '' && !url.includes(':memory:');
  if (local) mkdirSync(dirname(path), { recursive: true });
  // Several processes may share a local file (connectors with other ids, a second start refused by the
  // lease): a write waits for another's lock instead of failing at once.
  // One connection for a local file (local-file-client.ts), with SQLite's pragmas set once below and its
  // statements prepared once; a remote database (Turso) keeps @libsql/client.
  const opened: Client = local ? new LocalFileClient(path, { busyTimeoutMs: 5_000 }) : createClient({ url, timeout: 5_000, ...(authToken ? { authToken } : {}) });
  let client: Client = opened;
  if (local) {
    // A rollback journal costs ~5 ms of blocking fsync per commit here, and every send commits several
    // times. In WAL mode with synchronous=NORMAL a commit only writes the WAL; DurableStore fsyncs it off
    // the event loop before any writer hears of its commit, which the outbox and the pre-receipt hook rely on.
    await opened.execute('PRAGMA journal_mode = WAL');
    await opened.execute('PRAGMA synchronous = NORMAL');
    client = new DurableStore(opened, new WalSync(`${path}-wal`));
  }
  await migrateConnectorDb(client, { connectorId, logger });
  return client;
}

export async function migrateConnectorDb(client: Client, { connectorId, logger }: Omit<OpenOptions, 'authToken'> = {}): Promise<void> {
  const legacy: string[] = [];
  for (const table of Object.keys(LEGACY_COPY)) {
    const columns = (await client.execute(`PRAGMA table_info(${table})`)).rows.map((r) => String(r.name));
    if (columns.length > 0 && !columns.includes('connector_id')) legacy.push(table);
  }
  if (legacy.length === 0) {
    await client.batch(SCHEMA, 'write');
    return;
  }
  if (!connectorId) throw new Error(`the connector store predates owned rows (${legacy.join(', ')}): open it with the connector id that adopts them`);
  // One transaction: a crash leaves the old tables as they were.
  await client.batch(
    [
      ...legacy.map((t) => `ALTER TABLE ${t} RENAME TO legacy_${t}`),
      ...SCHEMA,
      ...legacy.map((t) => ({ sql: LEGACY_COPY[t]!, args: [connectorId] })),
      ...legacy.map((t) => `DROP TABLE legacy_${t}`),
    ],
    'write',
  );
  logger?.warn({ connectorId, tables: legacy }, 'connector store upgraded: its rows are now owned by this connector id');
}
