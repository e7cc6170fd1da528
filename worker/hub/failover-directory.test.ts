import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorFrame, SessionEvent } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { eventually } from '../../testing/eventually.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

// Failover across per-connector hubs, with connectors played frame by frame: the lease lives in the Turso
// directory, a lapsed connector's sessions reach the live connector through its own hub, the former owner's
// late events reach the former owner's hub and are judged by the tenure recorded in Turso, and a move by
// hand releases on one hub and starts on the other.
let stack: Stack;
let api: Api;
let a: ScriptedConnector;
let b: ScriptedConnector;
const placed = new Map<string, string>();

beforeAll(async () => {
  stack = await startStack({ CONNECTOR_LEASE_SECONDS: '2' });
  api = apiOf(stack);
  a = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'fo-a' })).script;
  b = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'fo-b' })).script;
  for (let i = 0; i < 4; i++) {
    const { sessionId } = await createSession(api);
    placed.set(sessionId, await ownerOf(sessionId));
  }
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await stack.close();
});

async function ownerOf(sessionId: string): Promise<string> {
  const row = await stack.db.execute({ sql: 'SELECT connector_id FROM sessions WHERE id = ?', args: [sessionId] });
  return String(row.rows[0]?.[0]);
}

async function formerOf(sessionId: string): Promise<string[]> {
  const row = await stack.db.execute({ sql: 'SELECT former_connectors FROM sessions WHERE id = ?', args: [sessionId] });
  return JSON.parse(String(row.rows[0]?.[0]));
}

async function statusOf(sessionId: string): Promise<string> {
  const { json } = await api('GET', `/api/sessions/${sessionId}`, { admin: true });
  return json.session.status;
}

let counter = 0;
function event(sessionId: string, body: SessionEvent): Extract<ConnectorFrame, { type: 'event' }> {
  return { type: 'event', id: `fo-${++counter}-${Date.now()}`, sessionId, at: Date.now(), event: body };
}

const sessionsOf = (connectorId: string) => [...placed].filter(([, c]) => c === connectorId).map(([s]) => s).sort();

describe('failover over the connectors directory', () => {
  it("gives a connector's sessions to the live connector's hub a lease after its link closed, recording the former owner, unlinking nothing", async () => {
    const ofA = sessionsOf('fo-a');
    expect(ofA).toHaveLength(2);
    for (const id of sessionsOf('fo-b')) b.send(event(id, { name: 'connection.update', status: 'WORKING' }));
    await a.close();

    const given = await b.next('desired', (f) => f.sessions.some((s) => s.sessionId === ofA[0]));
    expect(given.sessions.map((s) => s.sessionId).sort()).toEqual(ofA);
    expect(given.sessions.every((s) => s.state === 'running' && s.authEpoch === 0)).toBe(true);
    for (const id of ofA) {
      expect(await ownerOf(id)).toBe('fo-b');
      expect(await formerOf(id)).toEqual(['fo-a']);
    }
    // The moved sessions now show on fo-b's hub as STARTING until fo-b reports.
    expect(await statusOf(ofA[0]!)).toBe('STARTING');

    // fo-a comes back: it is not given them again, and nothing it holds is named removed.
    const back = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'fo-a', held: ofA });
    a = back.script;
    expect(back.welcome?.sessions.map((s) => s.sessionId)).toEqual([]);
    expect(back.welcome?.removed).toEqual([]);
  });

  it("keeps a former owner's late facts, arriving at its own hub, but not its word on the session's live state", async () => {
    const [moved] = sessionsOf('fo-a');
    const working = event(moved!, { name: 'connection.update', status: 'WORKING' });
    b.send(working);
    await b.next('ack', (f) => f.ids.includes(working.id));
    await eventually(async () => expect(await statusOf(moved!)).toBe('WORKING'));

    const late = event(moved!, { name: 'message.received', messageId: 'LATE-1', from: '6281288880000', text: 'sebelum pindah', timestamp: 1 });
    const stale = event(moved!, { name: 'connection.update', status: 'STOPPED', code: 'LEASE_LOST', reason: 'fenced' });
    a.send(late);
    a.send(stale);
    await a.next('ack', (f) => f.ids.includes(stale.id));
    const stored = await stack.db.execute({ sql: 'SELECT text FROM messages WHERE session_id = ? AND provider_message_id = ?', args: [moved!, 'LATE-1'] });
    expect(stored.rows.map((r) => r[0])).toEqual(['sebelum pindah']);
    expect(await statusOf(moved!)).toBe('WORKING');
    const row = await stack.db.execute({ sql: 'SELECT status FROM sessions WHERE id = ?', args: [moved!] });
    expect(row.rows[0]?.[0]).toBe('WORKING');
  });

  it("moves a session by hand: released on its connector's hub, started on the target's; a move to an absent connector changes nothing", async () => {
    const [moved] = sessionsOf('fo-a');
    const away = await api('POST', `/api/sessions/${moved}/move`, { admin: true, body: { connectorId: 'fo-nowhere' } });
    expect(away).toMatchObject({ status: 503, json: { code: 'CONNECTOR_OFFLINE' } });
    expect(await ownerOf(moved!)).toBe('fo-b');

    const answer = api('POST', `/api/sessions/${moved}/move`, { admin: true, body: { connectorId: 'fo-a' } });
    const release = await b.next('command', (f) => f.command.sessionId === moved);
    expect(release.command.name).toBe('session.release');
    b.send({ type: 'result', id: release.id, ok: true, data: { done: true } });
    const given = await a.next('desired', (f) => f.sessions.some((s) => s.sessionId === moved));
    expect(given.sessions.map((s) => s.sessionId)).toEqual([moved]);
    expect(await answer).toMatchObject({ status: 200, json: { sessionId: moved, from: 'fo-b', to: 'fo-a' } });
    expect(await ownerOf(moved!)).toBe('fo-a');
    expect(await formerOf(moved!)).toEqual(['fo-b']);
    // Its status is read from fo-a's hub now.
    expect(await statusOf(moved!)).toBe('STARTING');
  });

  it('refuses to move a session off a connector whose lease still runs, and a live hub moves it once the directory says the lease ran out', async () => {
    // A connector this stack's hubs never saw close (its hub lost, say): only the directory knows of it.
    const { sessionId } = await createSession(api);
    const taken = await ownerOf(sessionId);
    const future = Date.now() + 3_600_000;
    await stack.db.execute({ sql: "INSERT INTO connectors (id, attached, lease_expires_at) VALUES ('fo-ghost', 0, ?)", args: [future] });
    await stack.db.execute({ sql: "UPDATE sessions SET connector_id = 'fo-ghost' WHERE id = ?", args: [sessionId] });

    const held = await api('POST', `/api/sessions/${sessionId}/move`, { admin: true, body: { connectorId: taken } });
    expect(held).toMatchObject({ status: 409, json: { code: 'CONNECTOR_LEASE_HELD' } });
    expect(await ownerOf(sessionId)).toBe('fo-ghost');

    await stack.db.execute({ sql: "UPDATE connectors SET lease_expires_at = ? WHERE id = 'fo-ghost'", args: [Date.now() - 1] });
    await eventually(async () => expect(['fo-a', 'fo-b']).toContain(await ownerOf(sessionId)), { timeoutMs: 15_000 });
    expect(await formerOf(sessionId)).toEqual(['fo-ghost']);
    const owner = await ownerOf(sessionId);
    await (owner === 'fo-a' ? a : b).next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId));
  });

  it('drains a connector: its sessions move to the other one by one, and a session created afterwards is not placed on it', async () => {
    const held = await stack.db.execute("SELECT id FROM sessions WHERE connector_id = 'fo-a' ORDER BY id");
    const leaving = held.rows.map((r) => String(r[0]));
    expect(leaving.length).toBeGreaterThan(0);
    const releasing = (async () => {
      for (let i = 0; i < leaving.length; i++) {
        const release = await a.next('command', (f) => f.command.name === 'session.release');
        a.send({ type: 'result', id: release.id, ok: true, data: { done: true } });
      }
    })();
    // fo-b reports each session it is given WORKING, as a connector that took the login over does.
    const starting = (async () => {
      for (let i = 0; i < leaving.length; i++) {
        const given = await b.next('desired', (f) => f.sessions.some((s) => leaving.includes(s.sessionId)));
        for (const { sessionId } of given.sessions) b.send(event(sessionId, { name: 'connection.update', status: 'WORKING' }));
      }
    })();
    const answer = await api('POST', '/api/connectors/fo-a/drain', { admin: true });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    await Promise.all([releasing, starting]);
    expect(answer.json.moved.map((m: { sessionId: string }) => m.sessionId)).toEqual(leaving);
    for (const id of leaving) expect(await ownerOf(id)).toBe('fo-b');

    // fo-a is the least loaded now, but drained: a new session goes to fo-b.
    const { sessionId } = await createSession(api);
    expect(await ownerOf(sessionId)).toBe('fo-b');
  });
});

