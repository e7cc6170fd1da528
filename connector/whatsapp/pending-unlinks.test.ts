import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initAuthCreds } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConnectorDb, type Client } from '../db.ts';
import { createPendingUnlinks } from './pending-unlinks.ts';

const KEY = Buffer.alloc(32, 5);

let dir: string;
let db: Client;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kabar-pending-unlinks-'));
  db = await openConnectorDb(`file:${join(dir, 'connector.db')}`);
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function paired(device: string) {
  return { ...initAuthCreds(), me: { id: device } };
}

describe('pending unlinks', () => {
  it('keeps the creds of a device sealed at rest and gives them back until the device is done', async () => {
    const pending = createPendingUnlinks(db, KEY);
    const creds = paired('6281:3@s.whatsapp.net');
    await pending.add('s1', creds);
    const [stored] = (await db.execute("SELECT creds FROM pending_unlink WHERE session_id = 's1'")).rows;
    expect(Buffer.from(stored!.creds as ArrayBuffer).includes(Buffer.from('6281:3'))).toBe(false);
    const back = await pending.get('s1', '6281:3@s.whatsapp.net');
    expect(Buffer.from(back!.creds.noiseKey.private).equals(Buffer.from(creds.noiseKey.private))).toBe(true);
    expect(back).toMatchObject({ sessionId: 's1', device: '6281:3@s.whatsapp.net', attempts: 0 });
    await pending.done('s1', '6281:3@s.whatsapp.net');
    expect(await pending.list()).toEqual([]);
  });

  it('counts failed attempts and keeps the count when the same device is added again', async () => {
    const pending = createPendingUnlinks(db, KEY);
    await pending.add('s2', paired('6282:1@s.whatsapp.net'));
    expect(await pending.failed('s2', '6282:1@s.whatsapp.net')).toBe(1);
    expect(await pending.failed('s2', '6282:1@s.whatsapp.net')).toBe(2);
    await pending.add('s2', paired('6282:1@s.whatsapp.net'));
    await pending.add('s2', paired('6282:2@s.whatsapp.net'));
    expect((await pending.list()).map((p) => [p.device, p.attempts])).toEqual([
      ['6282:1@s.whatsapp.net', 2],
      ['6282:2@s.whatsapp.net', 0],
    ]);
  });

  it('refuses creds read under another key', async () => {
    await createPendingUnlinks(db, KEY).add('s3', paired('6283:1@s.whatsapp.net'));
    await expect(createPendingUnlinks(db, Buffer.alloc(32, 6)).get('s3', '6283:1@s.whatsapp.net')).rejects.toThrow();
  });
});
