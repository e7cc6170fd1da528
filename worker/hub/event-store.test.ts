// The event store against the real libSQL server, through the client the Worker uses: what a group of events
// costs in statements, and that events about one message within a group end as applying them in order would.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client/web';
import { drizzle } from 'drizzle-orm/libsql/web';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LibsqlServer, startLibsqlServer } from '../../libsql-server/server.ts';
import { migrateDatabase } from '../../scripts/migrate-database.ts';
import * as schema from '../../shared/db/schema.ts';
import type { SessionEvent } from '../../shared/protocol.ts';
import { type ReceivedEvent, storeEvents } from './event-store.ts';
import { KnownSessions } from './known-sessions.ts';

const CONNECTOR = 'store-test';
let dir: string;
let server: LibsqlServer;
let db: ReturnType<typeof drizzle<typeof schema>>;
/** The statements of each request the client sent since the last reset, BEGIN/COMMIT and the like included. */
let requests: string[][] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'event-store-'));
  const authToken = randomBytes(16).toString('hex');
  server = await startLibsqlServer({ file: join(dir, 'kabar.db'), authToken });
  await migrateDatabase(server.url, authToken);
  const counting: typeof fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const body = JSON.parse((await request.clone().text()) || '{}') as { requests?: { type: string; stmt?: { sql?: string }; batch?: { steps: { stmt: { sql?: string } }[] } }[] };
    const statements = (body.requests ?? []).flatMap((r) => (r.type === 'execute' ? [r.stmt?.sql ?? '?'] : r.type === 'batch' ? r.batch!.steps.map((s) => s.stmt.sql ?? '?') : []));
    requests.push(statements);
    return fetch(request);
  };
  db = drizzle(createClient({ url: server.url, authToken, fetch: counting }), { schema });
  await db.insert(schema.sessions).values(['s1', 's2'].map((id) => ({ id, connectorId: CONNECTOR, status: 'WORKING' })));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  requests = [];
});

let counter = 0;
const at = () => 1_800_000_000_000 + ++counter;
const received = (sessionId: string, event: SessionEvent): ReceivedEvent => ({ id: `ev-${++counter}-${randomBytes(4).toString('hex')}`, sessionId, at: at(), connectorId: CONNECTOR, event });
const out = (messageId: string) => ({ messageId, to: '6281200000001', timestamp: 1_700_000_000_000 });

/** The four events a drained queued message makes, as the connector sends them. */
function drained(sessionId: string, messageId: string): ReceivedEvent[] {
  return [
    received(sessionId, { name: 'message.status', status: 'queued', ...out(messageId) }),
    received(sessionId, { name: 'message.sent', text: `text of ${messageId}`, source: 'api', ...out(messageId) }),
    received(sessionId, { name: 'message.status', status: 'sent', ...out(messageId) }),
    received(sessionId, { name: 'message.status', status: 'delivered', ...out(messageId) }),
  ];
}

async function message(messageId: string) {
  const rows = await db.$client.execute({ sql: `select id, text, status from messages where provider_message_id = ?`, args: [messageId] });
  return rows.rows.map((r) => ({ id: r.id, text: r.text, status: r.status }));
}

describe('storing a group of events', () => {
  it('costs the same few statements for 10 messages as for 1, in one lookup and one batch', async () => {
    await storeEvents(db, drained('s1', 'ONE'), () => true);
    const one = requests;
    requests = [];
    const group = Array.from({ length: 10 }, (_, i) => drained(i % 2 ? 's1' : 's2', `TEN-${i}`)).flat();
    await storeEvents(db, group, () => true);
    expect(requests).toHaveLength(2);
    expect(requests.map((r) => r.length)).toEqual(one.map((r) => r.length));
    // BEGIN, COMMIT and the rollback step aside: the jobs, the records, four rounds of upserts, the pending read.
    expect(requests[1]!.length).toBeLessThanOrEqual(10);
    expect(Number((await db.$client.execute(`select count(*) as n from events where id like 'ev-%'`)).rows[0]!.n)).toBe(44);
    expect(await message('TEN-3')).toEqual([{ id: group[12]!.id, text: 'text of TEN-3', status: 'delivered' }]);
  });

  it('ends as applying them in order would: a receipt before message.sent, a late receipt after a later one', async () => {
    const group = [
      received('s1', { name: 'message.status', status: 'delivered', ...out('ORDER-1') }),
      received('s1', { name: 'message.sent', text: 'receipt came first', source: 'api', ...out('ORDER-1') }),
      received('s1', { name: 'message.sent', text: 'read, then delivered', source: 'api', ...out('ORDER-2') }),
      received('s1', { name: 'message.status', status: 'read', ...out('ORDER-2') }),
      received('s1', { name: 'message.status', status: 'delivered', ...out('ORDER-2') }),
    ];
    await storeEvents(db, group);
    expect(await message('ORDER-1')).toEqual([{ id: group[0]!.id, text: 'receipt came first', status: 'delivered' }]);
    expect(await message('ORDER-2')).toEqual([{ id: group[2]!.id, text: 'read, then delivered', status: 'read' }]);
  });

  it('says which events are new and which, stored before, still have a pending job', async () => {
    const [first, second] = [received('s2', { name: 'message.received', messageId: 'IN-NEW', from: '6281200000002', text: 'hai', timestamp: 1 }), received('s2', { name: 'message.received', messageId: 'IN-OLD', from: '6281200000002', text: 'lagi', timestamp: 2 })];
    await storeEvents(db, [second!], () => true);
    const result = await storeEvents(db, [first!, second!, first!], () => true);
    expect(result.jobs.map((e) => e.id)).toEqual([first!.id]);
    expect(result.pending.map((e) => e.id)).toEqual([second!.id]);
    expect(await message('IN-NEW')).toEqual([{ id: first!.id, text: 'hai', status: 'received' }]);
  });

  it('costs one request for a group of sessions read before, and reads them again when one changed meanwhile', async () => {
    await db.insert(schema.sessions).values(['k1', 'k2'].map((id) => ({ id, connectorId: CONNECTOR, status: 'WORKING' })));
    const known = new KnownSessions();
    const wantsHook = (_: unknown, s: { webhookUrl: string | null }) => s.webhookUrl !== null;
    requests = [];
    await storeEvents(db, drained('k1', 'KNOWN-1'), wantsHook, known);
    expect(requests).toHaveLength(2);
    requests = [];
    await storeEvents(db, drained('k1', 'KNOWN-2'), wantsHook, known);
    expect(requests).toHaveLength(1);
    // A webhook set since: the remembered row is stale, so the batch fails unwritten and runs again on fresh rows.
    await db.$client.execute(`update sessions set webhook_url = 'https://example.invalid/hook' where id = 'k1'`);
    requests = [];
    const group = drained('k1', 'KNOWN-3');
    const result = await storeEvents(db, group, wantsHook, known);
    expect(requests).toHaveLength(3);
    expect(result.jobs.map((e) => e.id)).toEqual(group.map((e) => e.id));
    expect(await message('KNOWN-3')).toEqual([{ id: group[0]!.id, text: 'text of KNOWN-3', status: 'delivered' }]);
    // Moved to another connector since: its live state is refused, and only on what Turso says now.
    await db.$client.execute(`update sessions set connector_id = 'elsewhere' where id = 'k2'`);
    const first = await storeEvents(db, [received('k2', { name: 'connection.update', status: 'SCAN_QR_CODE' })], wantsHook, known);
    expect(first.stored).toEqual([]);
    await db.$client.execute(`update sessions set connector_id = '${CONNECTOR}' where id = 'k2'`);
    const status = received('k2', { name: 'connection.update', status: 'WORKING' });
    const back = await storeEvents(db, [status], wantsHook, known);
    expect(back.stored.map((e) => e.id)).toEqual([status.id]);
  });
});
