// Two copies of one webhook job on the queue at once (a hub the session moved to queued it again, an admin
// requeue): while one is being delivered the other waits for it, so the owner's server gets the event once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { eventually } from '../../testing/eventually.ts';
import { startWebhookReceiver, type Answer } from '../../testing/webhook-receiver.ts';

let stack: Stack;
let api: Api;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let connector: ScriptedConnector;
/** Answers held deliveries once the test lets them go. */
let release: (answer: Answer) => void = () => {};

beforeAll(async () => {
  receiver = await startWebhookReceiver((hook) => (hook.path === '/held' ? new Promise<Answer>((resolve) => (release = resolve)) : { status: 200 }));
  // A receiver may take longer than the consumer waits for one delivery (1 s): the delivery goes on after its
  // batch, and the next batch is taken up meanwhile.
  stack = await startStack({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_BASE_SECONDS: '0', WEBHOOK_TIMEOUT_MS: '5000' });
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'claims' })).script;
});
afterAll(async () => {
  release({ status: 200 });
  await connector.close();
  await stack.close();
  await receiver.close();
});

const incoming = (text: string): SessionEvent => ({ name: 'message.received', messageId: `M${Math.random()}`, from: '6281299990000', text, timestamp: 1700000000000 });
const deliveriesOf = (id: string) => receiver.received.filter((h) => h.headers['x-kabar-event-id'] === id);

describe('copies of a webhook job', () => {
  it('posts an event once while a second copy of its job is taken up during the first delivery', async () => {
    const { sessionId, apiKey } = await createSession(api, { webhookUrl: `${receiver.url}/held` });
    const other = await createSession(api, { webhookUrl: `${receiver.url}/other` });
    const id = await connector.emit(sessionId, incoming('delivered slowly'));
    await receiver.next((h) => h.headers['x-kabar-event-id'] === id);
    // The first delivery is under way and held; a second copy of its job joins the queue, then another
    // session's event, whose delivery says the batch holding the copy has been taken up.
    const env = await stack.worker.getEnv();
    await env.WEBHOOKS.send({ eventId: id, sessionId });
    const marker = await connector.emit(other.sessionId, incoming('after the copy'));
    await receiver.next((h) => h.headers['x-kabar-event-id'] === marker);
    expect(deliveriesOf(id)).toHaveLength(1);
    release({ status: 200 });
    await eventually(
      async () => {
        const log: { outcome: string }[] = (await api('GET', `/api/webhooks/deliveries?eventId=${id}`, { key: apiKey })).json.deliveries;
        expect(log.map((d) => d.outcome)).toEqual(['delivered']);
      },
      { timeoutMs: 20_000 },
    );
    expect(deliveriesOf(id)).toHaveLength(1);
  });
});
