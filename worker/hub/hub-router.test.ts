import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

let stack: Stack;
let api: Api;

beforeAll(async () => {
  // A lease this long asks for no renewal (a write to Turso) while requests are counted.
  stack = await startStack({ CONNECTOR_LEASE_SECONDS: '3600' });
  api = apiOf(stack);
});
afterAll(() => stack.close());

/** The Worker's requests to the libSQL server while `work` runs (the test's own client stays idle meanwhile). */
async function libsqlRequests(work: () => Promise<void>): Promise<number> {
  const before = stack.databaseRequests();
  await work();
  return stack.databaseRequests() - before;
}

async function send(script: ScriptedConnector, apiKey: string, sessionId: string, text: string): Promise<void> {
  const answer = api('POST', '/api/send', { key: apiKey, body: { to: '6281234567890', message: text } });
  const command = await script.next('command', (f) => f.command.sessionId === sessionId && f.command.name === 'send.text' && f.command.text === text);
  script.send({ type: 'result', id: command.id, ok: true, data: { messageId: `WA-${text}`, remoteJid: '6281234567890@s.whatsapp.net', timestamp: 1700000000 } });
  expect((await answer).status).toBe(200);
}

describe("finding a session's hub", () => {
  it('stops reading Turso per send once a connector took a session that its key gate remembered without one', async () => {
    // Created with no connector attached: the key's gate reads the session's row while it has none.
    const { sessionId, apiKey } = await createSession(api);
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(200);
    const { script, welcome } = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'late-connector' });
    expect(welcome?.sessions.map((s) => s.sessionId)).toContain(sessionId);
    // The first send looks the connector up; the one after may reload the gate's record.
    expect(await libsqlRequests(() => send(script, apiKey, sessionId, 'satu'))).toBeGreaterThan(0);
    await send(script, apiKey, sessionId, 'dua');
    expect(await libsqlRequests(() => send(script, apiKey, sessionId, 'tiga'))).toBe(0);
    await script.close();
  });
});
