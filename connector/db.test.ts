import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { openConnectorDb } from './db.ts';
import { createOutbox } from './outbox.ts';
import { createAuthStore } from './whatsapp/auth-state.ts';
import { createSessionEpochs } from './whatsapp/session-epochs.ts';

const dir = mkdtempSync(join(tmpdir(), 'kabar-connector-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openConnectorDb', () => {
  it('creates the directory and the schema, in WAL mode, and can be opened again', async () => {
    const url = `file:${join(dir, 'nested', 'connector.db')}`;
    const db = await openConnectorDb(url);
    expect((await db.execute('PRAGMA journal_mode')).rows[0]?.[0]).toBe('wal');
    const tables = (await db.execute("select name from sqlite_master where type = 'table' order by name")).rows.map((r) => r[0]);
    expect(tables).toEqual(expect.arrayContaining(['auth_state', 'connector_lease', 'message_status', 'outbox', 'pending_unlink', 'quarantine', 'session_epoch']));
    db.close();
    const again = await openConnectorDb(url);
    expect((await again.execute('select count(*) from outbox')).rows[0]?.[0]).toBe(0);
    again.close();
  });

  it('upgrades a store written before rows were owned: the connector that opens it adopts every row', async () => {
    const url = `file:${join(dir, 'legacy.db')}`;
    const key = Buffer.alloc(32, 4);
    // The schema and rows as the previous version wrote them.
    const legacy = createClient({ url });
    await legacy.batch(
      [
        'CREATE TABLE auth_state (session_id TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (session_id, kind, id)) WITHOUT ROWID',
        'CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, session_id TEXT NOT NULL, at INTEGER NOT NULL, event TEXT NOT NULL)',
        'CREATE TABLE session_epoch (session_id TEXT PRIMARY KEY, auth_epoch INTEGER NOT NULL)',
        'CREATE TABLE pending_unlink (session_id TEXT NOT NULL, device TEXT NOT NULL, creds BLOB NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (session_id, device)) WITHOUT ROWID',
        "INSERT INTO session_epoch VALUES ('old', 3)",
        { sql: "INSERT INTO outbox (seq, id, session_id, at, event) VALUES (41, 'e41', 'old', 1, ?)", args: [JSON.stringify({ name: 'connection.update', status: 'STOPPED' })] },
      ],
      'write',
    );
    legacy.close();
    // A login sealed the way the previous version sealed it (the sealing did not change).
    const seeded = await openConnectorDb(`file:${join(dir, 'seed.db')}`);
    await (await createAuthStore(seeded, key, 'x').load('old')).saveCreds();
    const [row] = (await seeded.execute("SELECT kind, id, value FROM auth_state WHERE session_id = 'old'")).rows;
    seeded.close();
    const again = createClient({ url });
    await again.execute({ sql: "INSERT INTO auth_state VALUES ('old', ?, ?, ?)", args: [row!.kind!, row!.id!, row!.value!] });
    again.close();

    await expect(openConnectorDb(url)).rejects.toThrow(/predates owned rows/);
    const db = await openConnectorDb(url, { connectorId: 'edge-old' });
    expect(await createAuthStore(db, key, 'edge-old').listSessions()).toEqual(['old']);
    expect(await createAuthStore(db, key, 'someone-else').listSessions()).toEqual([]);
    expect(await createSessionEpochs(db, 'edge-old').get('old')).toBe(3);
    const outbox = createOutbox(db, key, { connectorId: 'edge-old', logger: pino({ level: 'silent' }) });
    expect((await outbox.pending()).map((e) => [e.seq, e.id])).toEqual([[41, 'e41']]);
    // New events keep counting after the adopted ones, so resends stay in order.
    expect((await outbox.add('old', { name: 'connection.update', status: 'STARTING' }))!.seq).toBeGreaterThan(41);
    db.close();
    // Opened again, the store is already upgraded and nothing moves.
    const reopened = await openConnectorDb(url);
    expect(await createAuthStore(reopened, key, 'edge-old').listSessions()).toEqual(['old']);
    reopened.close();
  });
});
