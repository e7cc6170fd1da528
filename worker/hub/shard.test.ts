import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ConnectorFrame, SessionEvent } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { eventually } from '../../testing/eventually.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

// Two connectors on one stack, each with its own hub: sessions, commands, status and streams stay on theirs.
let stack: Stack;
let api: Api;
let a: ScriptedConnector;
let b: ScriptedConnector;
const placed = new Map<string, string>();
const keys = new Map<string, string>();

beforeAll(async () => {
  stack = await startStack();
  api = apiOf(stack);
  a = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'shard-a' })).script;
  b = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'shard-b' })).script;
  // Four new sessions on two empty connectors: placement by load gives each two.
  for (let i = 0; i < 4; i++) {
    const { sessionId, apiKey } = await createSession(api);
    keys.set(sessionId, apiKey);
    const row = await stack.db.execute({ sql: 'SELECT connector_id FROM sessions WHERE id = ?', args: [sessionId] });
    placed.set(sessionId, String(row.rows[0]?.[0]));
  }
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await stack.close();
});

const sessionsOf = (connectorId: string) => [...placed].filter(([, c]) => c === connectorId).map(([s]) => s);

let counter = 0;
function event(sessionId: string, body: SessionEvent): Extract<ConnectorFrame, { type: 'event' }> {
  return { type: 'event', id: `shard-${++counter}-${Date.now()}`, sessionId, at: Date.now(), event: body };
}

describe('one hub per connector', () => {
  it('places new sessions on the least-loaded attached connector, and tells only that connector', async () => {
    expect(sessionsOf('shard-a')).toHaveLength(2);
    expect(sessionsOf('shard-b')).toHaveLength(2);
    for (const sessionId of sessionsOf('shard-a')) await a.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId));
    for (const sessionId of sessionsOf('shard-b')) await b.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId));
    const { json } = await api('GET', '/api/connectors', { admin: true });
    expect(JSON.stringify(json)).toContain('shard-a');
    expect(JSON.stringify(json)).toContain('shard-b');
  });

  it("relays each session's command to its own connector, and the other connector never sees it", async () => {
    const [ofA] = sessionsOf('shard-a');
    const [ofB] = sessionsOf('shard-b');
    const toA = api('POST', '/api/send', { key: keys.get(ofA!)!, body: { to: '6281234567890', message: 'untuk A' } });
    const commandA = await a.next('command', (f) => f.command.sessionId === ofA);
    a.send({ type: 'result', id: commandA.id, ok: true, data: { messageId: 'SHARD-A', remoteJid: '6281234567890@s.whatsapp.net', timestamp: 1 } });
    expect((await toA).status).toBe(200);
    const toB = api('POST', '/api/send', { key: keys.get(ofB!)!, body: { to: '6281234567890', message: 'untuk B' } });
    // B's first command is B's own: A's, sent before, never reached B's hub or B.
    const commandB = await b.next('command');
    expect(commandB.command.sessionId).toBe(ofB);
    b.send({ type: 'result', id: commandB.id, ok: true, data: { messageId: 'SHARD-B', remoteJid: '6281234567890@s.whatsapp.net', timestamp: 1 } });
    expect((await toB).status).toBe(200);
  });

  it("shows each session's status as its own connector reports it, and ignores the other connector's word", async () => {
    const [ofA] = sessionsOf('shard-a');
    const working = event(ofA!, { name: 'connection.update', status: 'WORKING' });
    a.send(working);
    await a.next('ack', (f) => f.ids.includes(working.id));
    const wrong = event(ofA!, { name: 'connection.update', status: 'LOGGED_OUT' });
    b.send(wrong);
    await b.next('ack', (f) => f.ids.includes(wrong.id));
    await eventually(async () => {
      const { json } = await api('GET', `/api/sessions/${ofA}`, { admin: true });
      expect(JSON.stringify(json)).toContain('WORKING');
      expect(JSON.stringify(json)).not.toContain('LOGGED_OUT');
    });
  });

  it("streams a session's events from its own connector's hub, and the all-sessions admin stream hears both hubs", async () => {
    const [ofA] = sessionsOf('shard-a');
    const [ofB] = sessionsOf('shard-b');
    const pass = await api('POST', '/api/stream/passes', { admin: true });
    const socket = new WebSocket(`${stack.hubUrl}/api/stream?pass=${pass.json.pass}`);
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(data.toString()));
    await eventually(() => expect(messages.some((m) => JSON.parse(m).event === 'stream.ready')).toBe(true));
    const ready = JSON.parse(messages.find((m) => JSON.parse(m).event === 'stream.ready')!);
    const listed = ready.data.sessions.map((s: { sessionId: string }) => s.sessionId);
    expect(listed).toEqual(expect.arrayContaining([ofA, ofB]));
    const fromA = event(ofA!, { name: 'message.received', messageId: 'SA1', from: '6281299990000', text: 'dari A', timestamp: 1 });
    const fromB = event(ofB!, { name: 'message.received', messageId: 'SB1', from: '6281299990000', text: 'dari B', timestamp: 1 });
    a.send(fromA);
    b.send(fromB);
    await eventually(() => {
      expect(messages.some((m) => m.includes('dari A') && m.includes(ofA!))).toBe(true);
      expect(messages.some((m) => m.includes('dari B') && m.includes(ofB!))).toBe(true);
    });
    socket.close();
  });
});
