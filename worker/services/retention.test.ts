// Retention through the Worker's own scheduled handler, against the real libSQL server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession } from '../../testing/api.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { readConfig } from '../config.ts';

const DAY = 86_400_000;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ EVENT_RETENTION_DAYS: '5', WEBHOOK_DELIVERY_RETENTION_DAYS: '2', MEDIA_RETENTION_DAYS: '4' });
});
afterAll(() => stack?.close());

async function ids(table: 'events' | 'webhook_deliveries', sessionId: string): Promise<string[]> {
  const result = await stack.db.execute({ sql: `select id from ${table} where session_id = ? order by id`, args: [sessionId] });
  return result.rows.map((r) => String(r.id));
}

describe('the scheduled retention run', () => {
  it('deletes events and delivery records older than their retention, and keeps the rest', async () => {
    const { sessionId } = await createSession(apiOf(stack));
    const now = Date.now();
    const ages = { old: 6 * DAY, middle: 3 * DAY, fresh: DAY / 2 };
    for (const [name, age] of Object.entries(ages)) {
      await stack.db.execute({
        sql: "insert into events (id, session_id, name, payload, occurred_at, created_at) values (?, ?, 'message.received', '{}', ?, ?)",
        args: [`${sessionId}-event-${name}`, sessionId, now - age, now - age],
      });
      await stack.db.execute({
        sql: "insert into webhook_deliveries (id, event_id, session_id, attempt, url, outcome, created_at) values (?, ?, ?, 1, 'https://example.com/', 'delivered', ?)",
        args: [`${sessionId}-delivery-${name}`, `${sessionId}-event-${name}`, sessionId, now - age],
      });
    }

    await stack.worker.scheduled({ cron: '17 3 * * *', scheduledTime: new Date(now) });

    expect(await ids('events', sessionId)).toEqual([`${sessionId}-event-fresh`, `${sessionId}-event-middle`]);
    expect(await ids('webhook_deliveries', sessionId)).toEqual([`${sessionId}-delivery-fresh`]);
  });

  it('deletes media files and their rows older than MEDIA_RETENTION_DAYS, orphaned files too, and keeps the rest', async () => {
    const { sessionId } = await createSession(apiOf(stack));
    const bucket = ((await stack.worker.getEnv()) as { MEDIA: R2Bucket }).MEDIA;
    const now = Date.now();
    const files = { old: 5 * DAY, orphan: 6 * DAY, fresh: 3 * DAY };
    for (const [name, age] of Object.entries(files)) {
      const id = `med_${name}${'0'.repeat(20 - name.length)}`;
      await bucket.put(`${sessionId}/${id}`, 'bytes', { customMetadata: { sessionId, mimetype: 'text/plain', createdAt: String(now - age) } });
      if (name === 'orphan') continue;
      await stack.db.execute({
        sql: "insert into media (id, session_id, direction, mimetype, size, sha256, created_at) values (?, ?, 'out', 'text/plain', 5, ?, ?)",
        args: [id, sessionId, '0'.repeat(64), now - age],
      });
    }

    await stack.worker.scheduled({ cron: '17 3 * * *', scheduledTime: new Date(now) });

    const left = (await bucket.list({ prefix: `${sessionId}/` })).objects.map((o) => o.key);
    expect(left).toEqual([`${sessionId}/med_fresh${'0'.repeat(15)}`]);
    const rows = await stack.db.execute({ sql: 'select id from media where session_id = ?', args: [sessionId] });
    expect(rows.rows.map((r) => r.id)).toEqual([`med_fresh${'0'.repeat(15)}`]);
  });
});

describe('retention settings', () => {
  const env = { TURSO_DATABASE_URL: 'http://127.0.0.1:1', ADMIN_TOKEN: 'a'.repeat(16), CONNECTOR_SECRET: 'c'.repeat(16) };

  it('default to 30 days of events, 14 of delivery records and 30 of media', () => {
    expect(readConfig({ ...env })).toMatchObject({ EVENT_RETENTION_DAYS: 30, WEBHOOK_DELIVERY_RETENTION_DAYS: 14, MEDIA_RETENTION_DAYS: 30, MEDIA_URL_TTL_SECONDS: 86_400 });
  });

  it('refuse a retention under a day, naming the variable', () => {
    expect(() => readConfig({ ...env, EVENT_RETENTION_DAYS: '0' })).toThrow(/EVENT_RETENTION_DAYS: must be at least 1 day/);
    expect(() => readConfig({ ...env, WEBHOOK_DELIVERY_RETENTION_DAYS: 'soon' })).toThrow(/WEBHOOK_DELIVERY_RETENTION_DAYS/);
  });
});
