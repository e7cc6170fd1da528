import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorFrame, SessionEvent } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { startWebhookReceiver } from '../../testing/webhook-receiver.ts';

// One session's webhook receiver hanging or failing must not hold back another session's events: the
// consumer takes batches one at a time, so a batch that waited WEBHOOK_TIMEOUT_MS for a hung receiver would
// hold every session behind it that long.
let stack: Stack;
let api: Api;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let connector: ScriptedConnector;

beforeAll(async () => {
  receiver = await startWebhookReceiver((hook) => {
    if (hook.path === '/hangs') return { hang: true };
    if (hook.path === '/fails') return { status: 503 };
    return { status: 200 };
  });
  // A timeout far longer than the consumer waits for one batch.
  stack = await startStack({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_BASE_SECONDS: '0', WEBHOOK_TIMEOUT_MS: '30000' });
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'isolation' })).script;
});
afterAll(async () => {
  await connector.close();
  await stack.close();
  await receiver.close();
});

let counter = 0;
/** Sends the events as one stream of frames and waits until the hub stored them all. */
async function emit(sessionId: string, events: SessionEvent[]): Promise<string[]> {
  const frames: ConnectorFrame[] = events.map((event) => ({ type: 'event', id: `iso-${++counter}-${Date.now()}`, sessionId, at: Date.now(), event }));
  for (const frame of frames) connector.send(frame);
  // The hub acks a group of events in one frame.
  const unacked = new Set(frames.map((f) => f.id));
  while (unacked.size > 0) for (const id of (await connector.next('ack', (a) => a.ids.some((id) => unacked.has(id)))).ids) unacked.delete(id);
  return frames.map((f) => f.id);
}

const incoming = (text: string): SessionEvent => ({ name: 'message.received', messageId: `M${Math.random()}`, from: '6281299990000', text, timestamp: 1700000000000 });
const arrived = (ids: string[]) => Promise.all(ids.map((id) => receiver.next((h) => h.headers['x-kabar-event-id'] === id)));

describe('webhook receivers of different sessions', () => {
  it("delivers a session's events while another session's receiver hangs, before that request times out", async () => {
    const stuck = await createSession(api, { webhookUrl: `${receiver.url}/hangs` });
    const healthy = await createSession(api, { webhookUrl: `${receiver.url}/ok` });
    const [first] = await emit(stuck.sessionId, [incoming('to a receiver that never answers')]);
    await receiver.next((h) => h.headers['x-kabar-event-id'] === first);
    // More for the hung receiver queue up behind it, then the healthy session's.
    await emit(stuck.sessionId, [incoming('stuck 2'), incoming('stuck 3')]);
    const ids = await emit(healthy.sessionId, [incoming('one'), incoming('two'), incoming('three')]);
    await arrived(ids);
    // Still within WEBHOOK_TIMEOUT_MS: nothing waited for the hung request to end.
    expect(receiver.hanging()).toBeGreaterThan(0);
  });

  it("delivers a session's events while another session's receiver fails every time", async () => {
    const failing = await createSession(api, { webhookUrl: `${receiver.url}/fails` });
    const healthy = await createSession(api, { webhookUrl: `${receiver.url}/ok` });
    const failed = await emit(failing.sessionId, Array.from({ length: 5 }, (_, i) => incoming(`failing ${i}`)));
    const ids = await emit(healthy.sessionId, Array.from({ length: 5 }, (_, i) => incoming(`healthy ${i}`)));
    await arrived([...failed, ...ids]);
    expect(receiver.received.filter((h) => h.path === '/ok').map((h) => h.headers['x-kabar-event-id'])).toEqual(expect.arrayContaining(ids));
  });

  it("posts one session's burst in the order its events were stored", async () => {
    const { sessionId } = await createSession(api, { webhookUrl: `${receiver.url}/ordered` });
    const ids = await emit(sessionId, Array.from({ length: 30 }, (_, i) => incoming(`in order ${i}`)));
    await arrived(ids);
    expect(receiver.received.filter((h) => h.path === '/ordered').map((h) => h.headers['x-kabar-event-id'])).toEqual(ids);
  });
});
