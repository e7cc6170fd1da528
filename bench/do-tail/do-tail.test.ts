import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { eventually } from '../../testing/eventually.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { countsSince, DO_TAIL_CONFIG, DO_TAIL_NAME, readInvocations } from './invocations.ts';

// The bench's Durable Object counter is itself measured: a send through an API key on a real stack, with
// the counting Tail Worker in the same workerd, counts exactly the invocations the send made.
let stack: Stack;
let api: Api;
let connector: ScriptedConnector;

beforeAll(async () => {
  // An hour's lease: the connector's renewals (a quarter lease apart) stay out of the counted window.
  stack = await startStack({ CONNECTOR_LEASE_SECONDS: '3600' }, { extraWorkerConfigs: [DO_TAIL_CONFIG], tailConsumers: [DO_TAIL_NAME] });
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'counted' })).script;
});
afterAll(async () => {
  await connector?.close();
  await stack?.close();
});

describe('the invocation counter (bench/do-tail)', () => {
  it('counts one KeyGate call, one Hub command and the one result frame for a send through an API key', async () => {
    const { sessionId, apiKey } = await createSession(api);
    await connector.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId));
    const send = async (message: string) => {
      const sent = api('POST', '/api/send', { key: apiKey, body: { to: '6281234567890', message } });
      const command = await connector.next('command', (f) => f.command.sessionId === sessionId);
      connector.send({ type: 'result', id: command.id, ok: true, data: { messageId: message, remoteJid: '6281234567890@s.whatsapp.net', timestamp: 1 } });
      expect((await sent).status).toBe(200);
    };
    // The key's first request also asks its client address's gate (no record cached yet); the counted send
    // is the second. The hub's one alarm (the connector's hello deadline, 10 s after it dialled) is waited
    // out first, so that only the send falls in the window.
    await send('first');
    const settled = await eventually(
      async () => {
        const now = await readInvocations(stack.url);
        expect(now.counts['Hub alarm']).toBe(1);
        expect(now.counts['Hub websocket:message']).toBe(2);
        expect(now.counts['KeyGate rpc:admitKey']).toBe(1);
        return now;
      },
      { timeoutMs: 20_000 },
    );

    await send('counted');
    await eventually(async () =>
      expect(countsSince(settled, await readInvocations(stack.url))).toEqual({
        'worker fetch': 1,
        'KeyGate rpc:admitKey': 1,
        'Hub rpc:command': 1,
        'Hub websocket:message': 1,
      }),
    );
  });
});
