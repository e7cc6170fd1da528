import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openConnectorDb } from './db.ts';

const dir = mkdtempSync(join(tmpdir(), 'kabar-connector-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openConnectorDb', () => {
  it('creates the directory and the schema, in WAL mode, and can be opened again', async () => {
    const url = `file:${join(dir, 'nested', 'connector.db')}`;
    const db = await openConnectorDb(url);
    expect((await db.execute('PRAGMA journal_mode')).rows[0]?.[0]).toBe('wal');
    const tables = (await db.execute("select name from sqlite_master where type = 'table' order by name")).rows.map((r) => r[0]);
    expect(tables).toEqual(expect.arrayContaining(['auth_state', 'message_status', 'outbox', 'pending_unlink', 'session_epoch']));
    db.close();
    const again = await openConnectorDb(url);
    expect((await again.execute('select count(*) from outbox')).rows[0]?.[0]).toBe(0);
    again.close();
  });
});
