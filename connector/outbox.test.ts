import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { pino } from 'pino';
import type { InArgs, InStatement, ResultSet } from '@libsql/client';
import { DelegatingClient } from './delegating-client.ts';
import { sqlOf, statementOf } from './statement.ts';
import { openConnectorDb, type Client } from './db.ts';
import { HubLink } from './hub-link.ts';
import { createOutbox } from './outbox.ts';
import { listQuarantine } from './quarantine.ts';
import { startTestHub } from './test-hub.ts';
import { useConnectorStore } from './test-store.ts';

let dir: string;
let db: Client;
useConnectorStore('kabar-outbox-', (store) => ({ db, dir } = store));

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);
const logger = pino({ level: 'silent' });

/** A logger whose lines (as parsed JSON) the test can read. */
function capturingLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }) };
}
const status = (n: number) => ({ name: 'connection.update' as const, status: 'STARTING' as const, reason: `r${n}` });

describe('outbox', () => {
  it('returns events oldest first and survives reopening the database', async () => {
    const outbox = createOutbox(db, KEY, { connectorId: 'c1', logger });
    const added = [];
    for (let i = 0; i < 5; i++) added.push((await outbox.add('s1', status(i), { at: 1000 + i }))!);
    const reopened = await openConnectorDb(`file:${join(dir, 'connector.db')}`);
    const pending = await createOutbox(reopened, KEY, { connectorId: 'c1', logger }).pending();
    reopened.close();
    expect(pending.map((e) => e.id)).toEqual(added.map((e) => e.id));
    expect(pending[0]).toMatchObject({ sessionId: 's1', at: 1000, event: status(0) });
    await outbox.ack(added.map((e) => e.id));
  });

  it('forgets only what was acked', async () => {
    const outbox = createOutbox(db, KEY, { connectorId: 'c1', logger });
    const a = (await outbox.add('s1', status(1)))!;
    const b = (await outbox.add('s1', status(2)))!;
    const c = (await outbox.add('s1', status(3)))!;
    await outbox.ack([b.id, 'unknown-id']);
    expect((await outbox.pending()).map((e) => e.id)).toEqual([a.id, c.id]);
    await outbox.ack([a.id, c.id]);
    expect(await outbox.count()).toBe(0);
  });

  it('pages after a sequence number, which is how a resend continues', async () => {
    const outbox = createOutbox(db, KEY, { connectorId: 'c1', logger });
    const entries = [];
    for (let i = 0; i < 4; i++) entries.push((await outbox.add('s2', status(i)))!);
    const page = await outbox.pending(entries[1]!.seq, 1);
    expect(page.map((e) => e.id)).toEqual([entries[2]!.id]);
    await outbox.ack(entries.map((e) => e.id));
  });

  it('stores an event with a chosen id once while it is unacked, and again after its ack', async () => {
    const outbox = createOutbox(db, KEY, { connectorId: 'c1', logger });
    expect(await outbox.add('s3', status(1), { id: 'rcv-1' })).not.toBeNull();
    expect(await outbox.add('s3', status(1), { id: 'rcv-1' })).toBeNull();
    expect((await outbox.pending()).filter((e) => e.id === 'rcv-1')).toHaveLength(1);
    await outbox.ack(['rcv-1']);
    expect(await outbox.add('s3', status(1), { id: 'rcv-1' })).not.toBeNull();
    await outbox.ack(['rcv-1']);
  });

  it('keeps events sealed at rest: the stored bytes do not show the text', async () => {
    const outbox = createOutbox(db, KEY, { connectorId: 'c1', logger });
    const text = 'a private message text';
    const sent = (await outbox.add('s4', { name: 'message.sent', messageId: 'M1', to: '6281234567890', text, timestamp: 1 }))!;
    const stored = await db.execute({ sql: 'SELECT event FROM outbox WHERE id = ?', args: [sent.id] });
    const bytes = stored.rows[0]?.event;
    expect(bytes).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(bytes as ArrayBuffer).toString('latin1')).not.toContain('private');
    expect((await outbox.pending()).find((e) => e.id === sent.id)?.event).toMatchObject({ name: 'message.sent', text });
    await outbox.ack([sent.id]);
  });

  it('still reads events an earlier version stored as plain JSON, and quarantines rows that do not open under the key', async () => {
    await db.execute({
      sql: 'INSERT INTO outbox (connector_id, id, session_id, at, event) VALUES (?, ?, ?, ?, ?)',
      args: ['c1', 'legacy-1', 's5', 5, JSON.stringify(status(5))],
    });
    const foreign = (await createOutbox(db, OTHER_KEY, { connectorId: 'c1', logger }).add('s5', status(6)))!;
    const outbox = createOutbox(db, KEY, { connectorId: 'c1', logger });
    const pending = (await outbox.pending()).filter((e) => e.sessionId === 's5');
    expect(pending).toEqual([{ seq: expect.any(Number), id: 'legacy-1', sessionId: 's5', at: 5, event: status(5) }]);
    expect((await listQuarantine(db)).map((q) => q.rowKey)).toContain(foreign.id);
    await outbox.ack(['legacy-1']);
    await db.execute('DELETE FROM quarantine');
  });

  it('moves unreadable rows to the quarantine with a loud log line, so the events behind 200 of them still go out', async () => {
    const foreign = createOutbox(db, OTHER_KEY, { connectorId: 'c1', logger });
    for (let i = 0; i < 250; i++) await foreign.add('s6', status(i));
    await db.execute({ sql: 'INSERT INTO outbox (connector_id, id, session_id, at, event) VALUES (?, ?, ?, ?, ?)', args: ['c1', 'old-format', 's6', 1, '{"kind":"status"}'] });
    const { lines, logger: loud } = capturingLogger();
    const outbox = createOutbox(db, KEY, { connectorId: 'c1', logger: loud });
    const good = (await outbox.add('s6', status(999)))!;

    expect((await outbox.pending(0, 200)).map((e) => e.id)).toEqual([good.id]);
    expect(await outbox.count()).toBe(1);
    const quarantined = await listQuarantine(db);
    expect(quarantined).toHaveLength(251);
    expect(quarantined.every((q) => q.source === 'outbox' && q.sessionId === 's6')).toBe(true);
    expect(quarantined.find((q) => q.rowKey === 'old-format')?.reason).toMatch(/not a known event/);
    expect(lines.filter((l) => l.level >= 50 && /quarantine/.test(l.msg)).length).toBeGreaterThan(0);
    await outbox.ack([good.id]);
    await db.execute('DELETE FROM quarantine');
  });

  it('lets the hub link send past unreadable rows and flush to the end, which a shutdown waits for', async () => {
    const foreign = createOutbox(db, OTHER_KEY, { connectorId: 'c1', logger });
    for (let i = 0; i < 220; i++) await foreign.add('s7', status(i));
    const outbox = createOutbox(db, KEY, { connectorId: 'c1', logger });
    const good = (await outbox.add('s7', status(1000)))!;
    const secret = 'outbox-test-secret-0123456789';
    const hub = await startTestHub({ secret, autoAck: true });
    const link = new HubLink({
      hubUrl: hub.url,
      connectorId: 'edge-q',
      secret,
      outbox,
      logger,
      heldSessions: async () => [],
      liveStatuses: () => [],
      handlers: { welcome: () => {}, desired: () => {}, remove: () => {}, command: async () => ({ ok: false, error: { code: 'SEND_FAILED', message: 'unused' } }) },
    });
    try {
      link.start();
      expect(await link.flush(10_000)).toBe(true);
      expect(hub.received.map((f) => f.id)).toEqual([good.id]);
    } finally {
      await link.close();
      await hub.close();
      await db.execute('DELETE FROM quarantine');
    }
  });
});

/** The store, counting the outbox reads that reach it; `holdNextInsert` keeps one store's answer back until released. */
class CountingStore extends DelegatingClient {
  reads = 0;
  #held: Promise<void> | null = null;

  holdNextInsert(): () => void {
    let release!: () => void;
    this.#held = new Promise((resolve) => (release = resolve));
    return release;
  }

  override execute(stmt: InStatement): Promise<ResultSet>;
  override execute(sql: string, args?: InArgs): Promise<ResultSet>;
  override async execute(stmt: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const statement = statementOf(stmt, args);
    const sql = sqlOf(statement);
    if (/^SELECT .* FROM outbox/.test(sql)) this.reads++;
    const held = /^INSERT INTO outbox/.test(sql) ? this.#held : null;
    if (held) this.#held = null;
    const result = await this.inner.execute(statement);
    // Committed now; its caller hears of it only on release, as a commit waiting for its fsync.
    if (held) await held;
    return result;
  }
}

describe('outbox reader tail', () => {
  it('hands a reader that found every row the events stored since from memory, without reading them back', async () => {
    const store = new CountingStore(db);
    const outbox = createOutbox(store, KEY, { connectorId: 'c-tail', logger });
    const a = (await outbox.add('s8', status(1)))!;
    expect((await outbox.pending(0)).map((e) => e.id)).toEqual([a.id]);
    expect(store.reads).toBe(1);
    const b = (await outbox.add('s8', status(2)))!;
    const c = (await outbox.add('s8', status(3)))!;
    const next = await outbox.pending(a.seq);
    expect(next.map((e) => e.id)).toEqual([b.id, c.id]);
    expect(next[1]).toMatchObject({ sessionId: 's8', event: status(3) });
    expect(await outbox.pending(c.seq)).toEqual([]);
    // Before: a read of the store for each of these.
    expect(store.reads).toBe(1);
    // A resend from the start (a new link) reads the store: everything unacked, oldest first.
    expect((await outbox.pending(0)).map((e) => e.id)).toEqual([a.id, b.id, c.id]);
    expect(store.reads).toBe(2);
    await outbox.ack([a.id, b.id, c.id]);
  });

  it('still hands out an event whose store finished after a later one was handed out', async () => {
    const store = new CountingStore(db);
    const outbox = createOutbox(store, KEY, { connectorId: 'c-late', logger });
    expect(await outbox.pending(0)).toEqual([]);
    const release = store.holdNextInsert();
    const first = outbox.add('s9', status(1));
    const second = (await outbox.add('s9', status(2)))!;
    const handed = await outbox.pending(0);
    expect(handed.map((e) => e.id)).toEqual([second.id]);
    release();
    const late = (await first)!;
    expect(late.seq).toBeLessThan(second.seq);
    expect((await outbox.pending(second.seq)).map((e) => e.id)).toEqual([late.id]);
    await outbox.ack([late.id, second.id]);
  });

  it('does not hand out an event the hub acked before the reader took it', async () => {
    const outbox = createOutbox(db, KEY, { connectorId: 'c-acked', logger });
    expect(await outbox.pending(0)).toEqual([]);
    const a = (await outbox.add('s10', status(1)))!;
    const b = (await outbox.add('s10', status(2)))!;
    await outbox.ack([a.id]);
    expect((await outbox.pending(0)).map((e) => e.id)).toEqual([b.id]);
    await outbox.ack([b.id]);
  });
});
