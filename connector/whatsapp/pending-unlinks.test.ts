import { initAuthCreds } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Client } from '../db.ts';
import { listQuarantine } from '../quarantine.ts';
import { createPendingUnlinks } from './pending-unlinks.ts';
import { useConnectorStore } from '../test-store.ts';

const KEY = Buffer.alloc(32, 5);
const OTHER_KEY = Buffer.alloc(32, 6);
const logger = pino({ level: 'silent' });

let db: Client;
useConnectorStore('kabar-pending-unlinks-', (store) => ({ db } = store));

function paired(device: string) {
  return { ...initAuthCreds(), me: { id: device } };
}

describe('pending unlinks', () => {
  it('keeps the creds of a device sealed at rest and gives them back until the device is done', async () => {
    const pending = createPendingUnlinks(db, KEY, { connectorId: 'c1', logger });
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
    const pending = createPendingUnlinks(db, KEY, { connectorId: 'c1', logger });
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

  it('moves a row that does not open under the key to the quarantine, loudly, and lists the rest', async () => {
    await db.execute('DELETE FROM pending_unlink');
    await createPendingUnlinks(db, OTHER_KEY, { connectorId: 'c1', logger }).add('s3', paired('6283:1@s.whatsapp.net'));
    await createPendingUnlinks(db, KEY, { connectorId: 'c1', logger }).add('s4', paired('6284:1@s.whatsapp.net'));
    const lines: { level: number; msg: string }[] = [];
    const loud = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const pending = createPendingUnlinks(db, KEY, { connectorId: 'c1', logger: loud });

    expect((await pending.list()).map((p) => p.device)).toEqual(['6284:1@s.whatsapp.net']);
    expect(await listQuarantine(db)).toEqual([expect.objectContaining({ source: 'pending_unlink', sessionId: 's3', rowKey: '6283:1@s.whatsapp.net' })]);
    expect(lines.some((l) => l.level >= 50 && /quarantine/.test(l.msg))).toBe(true);
    expect(await pending.get('s3', '6283:1@s.whatsapp.net')).toBeNull();
  });

  it('quarantines an unreadable row asked for by name instead of throwing', async () => {
    await createPendingUnlinks(db, OTHER_KEY, { connectorId: 'c1', logger }).add('s5', paired('6285:1@s.whatsapp.net'));
    expect(await createPendingUnlinks(db, KEY, { connectorId: 'c1', logger }).get('s5', '6285:1@s.whatsapp.net')).toBeNull();
    expect((await listQuarantine(db)).map((q) => q.sessionId)).toContain('s5');
  });
});
