import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConnectorDb, type Client } from './db.ts';
import { createOutbox } from './outbox.ts';

let dir: string;
let db: Client;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kabar-outbox-'));
  db = await openConnectorDb(`file:${join(dir, 'connector.db')}`);
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const KEY = Buffer.alloc(32, 7);
const status = (n: number) => ({ name: 'connection.update' as const, status: 'STARTING' as const, reason: `r${n}` });

describe('outbox', () => {
  it('returns events oldest first and survives reopening the database', async () => {
    const outbox = createOutbox(db, KEY);
    const added = [];
    for (let i = 0; i < 5; i++) added.push((await outbox.add('s1', status(i), { at: 1000 + i }))!);
    const reopened = await openConnectorDb(`file:${join(dir, 'connector.db')}`);
    const pending = await createOutbox(reopened, KEY).pending();
    reopened.close();
    expect(pending.map((e) => e.id)).toEqual(added.map((e) => e.id));
    expect(pending[0]).toMatchObject({ sessionId: 's1', at: 1000, event: status(0) });
    await outbox.ack(added.map((e) => e.id));
  });

  it('forgets only what was acked', async () => {
    const outbox = createOutbox(db, KEY);
    const a = (await outbox.add('s1', status(1)))!;
    const b = (await outbox.add('s1', status(2)))!;
    const c = (await outbox.add('s1', status(3)))!;
    await outbox.ack([b.id, 'unknown-id']);
    expect((await outbox.pending()).map((e) => e.id)).toEqual([a.id, c.id]);
    await outbox.ack([a.id, c.id]);
    expect(await outbox.count()).toBe(0);
  });

  it('pages after a sequence number, which is how a resend continues', async () => {
    const outbox = createOutbox(db, KEY);
    const entries = [];
    for (let i = 0; i < 4; i++) entries.push((await outbox.add('s2', status(i)))!);
    const page = await outbox.pending(entries[1]!.seq, 1);
    expect(page.map((e) => e.id)).toEqual([entries[2]!.id]);
    await outbox.ack(entries.map((e) => e.id));
  });

  it('stores an event with a chosen id once while it is unacked, and again after its ack', async () => {
    const outbox = createOutbox(db, KEY);
    expect(await outbox.add('s3', status(1), { id: 'rcv-1' })).not.toBeNull();
    expect(await outbox.add('s3', status(1), { id: 'rcv-1' })).toBeNull();
    expect((await outbox.pending()).filter((e) => e.id === 'rcv-1')).toHaveLength(1);
    await outbox.ack(['rcv-1']);
    expect(await outbox.add('s3', status(1), { id: 'rcv-1' })).not.toBeNull();
    await outbox.ack(['rcv-1']);
  });

  it('keeps events sealed at rest: the stored bytes do not show the text', async () => {
    const outbox = createOutbox(db, KEY);
    const text = 'a private message text';
    const sent = (await outbox.add('s4', { name: 'message.sent', messageId: 'M1', to: '6281234567890', text, timestamp: 1 }))!;
    const stored = await db.execute({ sql: 'SELECT event FROM outbox WHERE id = ?', args: [sent.id] });
    const bytes = stored.rows[0]?.event;
    expect(bytes).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(bytes as ArrayBuffer).toString('latin1')).not.toContain('private');
    expect((await outbox.pending()).find((e) => e.id === sent.id)?.event).toMatchObject({ name: 'message.sent', text });
    await outbox.ack([sent.id]);
  });

  it('still reads events an earlier version stored as plain JSON, and skips rows that do not open under the key', async () => {
    await db.execute({
      sql: 'INSERT INTO outbox (id, session_id, at, event) VALUES (?, ?, ?, ?)',
      args: ['legacy-1', 's5', 5, JSON.stringify(status(5))],
    });
    const foreign = (await createOutbox(db, Buffer.alloc(32, 8)).add('s5', status(6)))!;
    const outbox = createOutbox(db, KEY);
    const pending = (await outbox.pending()).filter((e) => e.sessionId === 's5');
    expect(pending).toEqual([{ seq: expect.any(Number), id: 'legacy-1', sessionId: 's5', at: 5, event: status(5) }]);
    await outbox.ack(['legacy-1', foreign.id]);
  });
});
