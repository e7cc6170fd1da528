// Statuses of sent messages through real Baileys against a simulator whose contacts receipt at once, as
// WhatsApp's can: sent on the server's ack, then delivered and read, each once and never backwards.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectorFrame } from '../shared/protocol.ts';
import { startSimulator, type Simulator } from '../simulator/server.ts';
import type { TestHub } from './test-hub.ts';
import { WAIT_MS, hubEvent, pair, sendText, startStack, type Stack, useConnectorStack } from './test-stack.ts';

type EventFrame = Extract<ConnectorFrame, { type: 'event' }>;

let dir: string;
let simulator: Simulator;
let stack: Stack;

// Every contact receipts delivered and then read the moment it has a message.
useConnectorStack('kabar-connector-status-', (world) => ({ simulator, dir, stack } = world), { simulator: { autoReceipts: 'read', receiptDelayMaxMs: 0 } });

/** The statuses the hub received for each message of the session, in order, one per event id (resends folded). */
function statusesByMessage(hub: TestHub, sessionId: string): Map<string, string[]> {
  const seen = new Set<string>();
  const byMessage = new Map<string, string[]>();
  for (const frame of hub.received) {
    if (frame.sessionId !== sessionId || frame.event.name !== 'message.status' || seen.has(frame.id)) continue;
    seen.add(frame.id);
    byMessage.set(frame.event.messageId, [...(byMessage.get(frame.event.messageId) ?? []), frame.event.status]);
  }
  return byMessage;
}

/** Resolves once every message has a `read` status event at the hub. */
function allRead(hub: TestHub, sessionId: string, messageIds: string[]): Promise<void> {
  const done = () => messageIds.every((id) => statusesByMessage(hub, sessionId).get(id)?.includes('read'));
  if (done()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      hub.events.off('event', listener);
      const missing = messageIds.filter((id) => !statusesByMessage(hub, sessionId).get(id)?.includes('read'));
      reject(new Error(`${missing.length} messages not read within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const listener = (frame: EventFrame) => {
      if (frame.sessionId !== sessionId || frame.event.name !== 'message.status' || !done()) return;
      clearTimeout(timer);
      hub.events.off('event', listener);
      resolve();
    };
    hub.events.on('event', listener);
  });
}

describe('statuses of sent messages, with receipts at once', () => {
  it('reports sent on the server ack, then delivered and read, for receipts arriving the instant after the ack', async () => {
    await pair(stack, simulator, 'status-one', '6281300000001');
    const result = await sendText(stack.hub, 'status-one', '6281900000101', 'fast phone');
    if (!result.ok) throw new Error(`send failed: ${JSON.stringify(result)}`);
    const { messageId } = result.data;
    await allRead(stack.hub, 'status-one', [messageId]);
    expect(statusesByMessage(stack.hub, 'status-one').get(messageId)).toEqual(['sent', 'delivered', 'read']);
  });

  it('gives each of 100 messages to 10 contacts sent, delivered and read, once each and in that order', async () => {
    await pair(stack, simulator, 'status-burst', '6281300000002');
    // One result listener per command in flight.
    stack.hub.events.setMaxListeners(150);
    const contacts = Array.from({ length: 10 }, (_, i) => `62819000002${String(i).padStart(2, '0')}`);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => sendText(stack.hub, 'status-burst', contacts[i % 10]!, `burst ${i}`)),
    );
    const ids = results.map((r) => {
      if (!r.ok) throw new Error(`send failed: ${JSON.stringify(r)}`);
      return r.data.messageId;
    });
    expect(new Set(ids).size).toBe(100);
    await allRead(stack.hub, 'status-burst', ids);
    const statuses = statusesByMessage(stack.hub, 'status-burst');
    for (const id of ids) expect({ id, statuses: statuses.get(id) }).toEqual({ id, statuses: ['sent', 'delivered', 'read'] });
  });
});

describe('statuses of sent messages, without receipts', () => {
  it("reports sent on the server's ack alone when the contact never receipts", async () => {
    const quiet = await startSimulator({ port: 0, autoReceipts: false, receiptDelayMaxMs: 0 });
    const other = await startStack(quiet.wsUrl, join(dir, 'no-receipts.db'));
    try {
      await pair(other, quiet, 'status-quiet', '6281300000003');
      const result = await sendText(other.hub, 'status-quiet', '6281900000301', 'no receipt for this');
      if (!result.ok) throw new Error(`send failed: ${JSON.stringify(result)}`);
      const sent = await hubEvent(other.hub, 'status-quiet', 'message.status', (e) => e.messageId === result.data.messageId);
      expect(sent).toMatchObject({ status: 'sent', to: '6281900000301' });
      // The message.sent record reached the outbox first.
      const names = other.hub.received.filter((f) => f.sessionId === 'status-quiet' && f.event.name.startsWith('message.')).map((f) => f.event.name);
      expect(names.slice(0, 2)).toEqual(['message.sent', 'message.status']);
    } finally {
      await other.close();
      await quiet.close();
    }
  });
});
