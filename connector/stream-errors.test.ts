// Mid-session stream errors (500, 503, 515) and the end of the stream, with messages in flight both ways:
// the connector reconnects on its own and loses nothing, through real Baileys against the simulator.
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import type { Simulator } from '../simulator/server.ts';
import type { StreamErrorKind } from '../simulator/stream-errors.ts';
import { WAIT_MS, hubEvent, pair, sendText, type Stack, useConnectorStack } from './test-stack.ts';

let simulator: Simulator;
let stack: Stack;

useConnectorStack('kabar-connector-stream-errors-', (world) => ({ simulator, stack } = world), { simulator: { autoReceipts: 'delivered' } });

beforeAll(() => {
  stack.hub.events.setMaxListeners(100);
});

const IN_FLIGHT = 10;

describe('mid-session stream errors', () => {
  it.each([
    ['500', '6281500000500'],
    ['503', '6281500000503'],
    ['515', '6281500000515'],
    ['end', '6281500000999'],
  ] as [StreamErrorKind, string][])('after stream error %s it reconnects and loses no message in flight either way', async (kind, phone) => {
    const sessionId = `stream-${kind}`;
    const contact = `62819${phone.slice(5)}`;
    await pair(stack, simulator, sessionId, phone);
    const from = stack.hub.received.length;

    // Sends and incoming messages start together; the stream error comes the moment the contact has the
    // third send, with the other sends and the incoming messages anywhere on their way.
    let stored = 0;
    const off = simulator.events.on('message-stored', (m) => {
      if (m.from === phone && ++stored === 3) simulator.streamError(phone, kind);
    });
    const sends = Array.from({ length: IN_FLIGHT }, (_, i) => sendText(stack.hub, sessionId, contact, `out ${kind} ${i}`));
    const incoming = Array.from({ length: IN_FLIGHT }, (_, i) => simulator.contactSend(contact, phone, `in ${kind} ${i}`));
    const ids = (await Promise.all(incoming)).map((m) => m.id);

    await hubEvent(stack.hub, sessionId, 'connection.update', (e) => e.status === 'WORKING', from);
    // Every incoming message reaches the hub, each under one event id.
    const received = await eventually(
      () => {
        const frames = stack.hub.received.filter((f) => f.sessionId === sessionId && f.event.name === 'message.received');
        const byMessage = new Map<string, Set<string>>();
        for (const f of frames) if (f.event.name === 'message.received') byMessage.set(f.event.messageId, (byMessage.get(f.event.messageId) ?? new Set()).add(f.id));
        expect([...byMessage.keys()].sort()).toEqual([...ids].sort());
        return byMessage;
      },
      { timeoutMs: WAIT_MS },
    );
    for (const eventIds of received.values()) expect(eventIds.size).toBe(1);

    // A send the connector called successful reached the contact; one that did not was answered as failed.
    const results = await Promise.all(sends);
    off();
    expect(stored).toBeGreaterThanOrEqual(3);
    const sent = results.flatMap((r) => (r.ok ? [r.data.messageId] : []));
    await eventually(() => expect(simulator.inbox(contact).map((m) => m.id).sort()).toEqual([...sent].sort()), { timeoutMs: WAIT_MS });
    for (const r of results) if (!r.ok) expect(r.error).toMatchObject({ message: expect.any(String) });
  });
});
