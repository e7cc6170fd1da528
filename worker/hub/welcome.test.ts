// What a connector's welcome says about the logins it holds: only sessions deleted through the API (their
// tombstones) are named as removed; a session the database merely does not know is never among them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, type Api } from '../../testing/api.ts';
import { connectScripted } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  stack = await startStack();
  api = apiOf(stack);
});
afterAll(() => stack.close());

async function tombstones(sessionId: string): Promise<number> {
  const result = await stack.db.execute({ sql: 'SELECT count(*) FROM deleted_sessions WHERE session_id = ?', args: [sessionId] });
  return Number(result.rows[0]?.[0]);
}

async function welcomeFor(connectorId: string, held: string[]) {
  const { script, welcome } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId, held });
  await script.close();
  if (!welcome) throw new Error('not welcomed');
  return welcome;
}

describe('the welcome names deleted sessions, and only those', () => {
  it('names a held session deleted while its connector was away as removed', async () => {
    const phone = '6281277700001';
    expect((await api('POST', '/api/create-session', { admin: true, body: { phone } })).status).toBe(200);
    expect((await api('POST', '/api/delete', { admin: true, body: { phone } })).status).toBe(200);
    expect(await tombstones(phone)).toBe(1);

    const welcome = await welcomeFor('away-1', [phone, '6281277700009']);
    expect(welcome.removed).toEqual([phone]);
    expect(welcome.sessions.map((s) => s.sessionId)).not.toContain(phone);
  });

  it('removes nothing when the held sessions are merely unknown (a Worker on an empty or wrong database)', async () => {
    const welcome = await welcomeFor('empty-db', ['6281277700002', 'ses_not_in_this_database']);
    expect(welcome.removed).toEqual([]);
  });

  it('does not write a tombstone for a delete of a session that does not exist', async () => {
    expect((await api('POST', '/api/delete', { admin: true, body: { phone: '6281277700003' } })).status).toBe(404);
    expect(await tombstones('6281277700003')).toBe(0);
  });

  it('clears the tombstone when the id is created again, starting above the old epoch so an old login is forgotten', async () => {
    const phone = '6281277700004';
    await api('POST', '/api/create-session', { admin: true, body: { phone } });
    await api('POST', '/api/reset', { admin: true, body: { phone } });
    await api('POST', '/api/delete', { admin: true, body: { phone } });
    await api('POST', '/api/create-session', { admin: true, body: { phone } });
    expect(await tombstones(phone)).toBe(0);

    const welcome = await welcomeFor('away-2', [phone]);
    expect(welcome.removed).toEqual([]);
    expect(welcome.sessions).toContainEqual({ sessionId: phone, state: 'running', authEpoch: 2, phone });
  });

  it('clears the tombstone when the session-key surface creates the id again', async () => {
    // As a delete of a session at auth epoch 3 leaves it.
    await stack.db.execute({ sql: 'INSERT INTO deleted_sessions (session_id, auth_epoch) VALUES (?, 3)', args: ['tomb-new'] });
    expect((await api('POST', '/api/session/create', { admin: true, body: { sessionId: 'tomb-new' } })).status).toBe(201);
    expect(await tombstones('tomb-new')).toBe(0);
    const welcome = await welcomeFor('away-3', ['tomb-new']);
    expect(welcome.removed).toEqual([]);
    expect(welcome.sessions).toContainEqual({ sessionId: 'tomb-new', state: 'running', authEpoch: 4 });
  });
});
