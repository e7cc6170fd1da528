import { describe, expect, it } from 'vitest';
import type { Client } from '../db.ts';
import { createRecentMessages } from './recent-messages.ts';
import { useConnectorStore } from '../test-store.ts';

let db: Client;
useConnectorStore('kabar-recent-', (store) => ({ db } = store));

const KEY = Buffer.alloc(32, 7);
const DAY = 86_400_000;
const message = (id: string, text: string, at: number) => ({ id, remoteJid: '6281900000001@s.whatsapp.net', fromMe: true, message: { conversation: text }, at });

describe('recent-message store', () => {
  it('gives back a stored message, sealed at rest', async () => {
    const store = createRecentMessages(db, KEY, { connectorId: 'c1', retentionMs: 7 * DAY });
    await store.put('s1', message('M1', 'rahasia sekali', 1_000));
    expect(await store.get('s1', 'M1')).toMatchObject({ id: 'M1', fromMe: true, message: { conversation: 'rahasia sekali' }, at: 1_000 });
    const raw = await db.execute("SELECT value FROM recent_message WHERE message_id = 'M1'");
    expect(Buffer.from(raw.rows[0]!.value as ArrayBuffer).toString('latin1')).not.toContain('rahasia');
  });

  it('keeps each connector and session to its own rows, and a row opens only under its key', async () => {
    const store = createRecentMessages(db, KEY, { connectorId: 'c1', retentionMs: 7 * DAY });
    await store.put('s1', message('M2', 'mine', 1_000));
    expect(await createRecentMessages(db, KEY, { connectorId: 'c2', retentionMs: 7 * DAY }).get('s1', 'M2')).toBeNull();
    expect(await store.get('s2', 'M2')).toBeNull();
    expect(await createRecentMessages(db, Buffer.alloc(32, 8), { connectorId: 'c1', retentionMs: 7 * DAY }).get('s1', 'M2')).toBeNull();
  });

  it('prunes messages older than the retention and keeps the rest', async () => {
    const store = createRecentMessages(db, KEY, { connectorId: 'c3', retentionMs: 7 * DAY });
    const now = 100 * DAY;
    await store.put('s1', message('OLD', 'old', now - 8 * DAY));
    await store.put('s1', message('NEW', 'new', now - 6 * DAY));
    expect(await store.prune(now)).toBe(1);
    expect(await store.get('s1', 'OLD')).toBeNull();
    expect(await store.get('s1', 'NEW')).not.toBeNull();
  });

  it("forgets one session's messages and keeps the others'", async () => {
    const store = createRecentMessages(db, KEY, { connectorId: 'c4', retentionMs: 7 * DAY });
    await store.put('gone', message('G1', 'bye', 1_000));
    await store.put('kept', message('K1', 'hi', 1_000));
    await store.forget('gone');
    expect(await store.get('gone', 'G1')).toBeNull();
    expect(await store.get('kept', 'K1')).not.toBeNull();
  });
});
