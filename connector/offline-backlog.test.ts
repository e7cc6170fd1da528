// 1,000 messages waiting at WhatsApp while the connector was down, delivered in pages of 100 as Baileys
// asks for them: each reaches the hub exactly once. Real Baileys, the real store, the simulator.
import { describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import type { Simulator } from '../simulator/server.ts';
import { desire, hubEvent, pair, type Stack, useConnectorStack } from './test-stack.ts';

let simulator: Simulator;
let stack: Stack;

useConnectorStack('kabar-connector-backlog-', (world) => ({ simulator, stack } = world));

const WAITING = 1_000;

describe('an offline backlog after a connector outage', () => {
  it(`delivers ${WAITING} waiting messages to the hub exactly once`, { timeout: 90_000 }, async () => {
    const phone = '6281900001000';
    const contacts = Array.from({ length: 10 }, (_, i) => `628199000010${i}`);
    await pair(stack, simulator, 'backlog', phone);
    const down = simulator.events.waitFor('device-disconnected', (d) => d.phone === phone);
    desire(stack.hub, [{ sessionId: 'backlog', state: 'stopped', authEpoch: 0 }]);
    await down;

    const ids: string[] = [];
    for (let i = 0; i < WAITING; i++) ids.push((await simulator.contactSend(contacts[i % 10]!, phone, `waiting ${i}`)).id);
    const pages: number[] = [];
    const off = simulator.events.on('offline-batch-requested', (r) => r.phone === phone && pages.push(r.count));
    try {
      const from = stack.hub.received.length;
      desire(stack.hub, [{ sessionId: 'backlog', state: 'running', authEpoch: 0 }]);
      await hubEvent(stack.hub, 'backlog', 'connection.update', (e) => e.status === 'WORKING', from);
      const received = await eventually(
        () => {
          const frames = stack.hub.received.filter((f) => f.sessionId === 'backlog' && f.event.name === 'message.received');
          expect(frames.length).toBeGreaterThanOrEqual(WAITING);
          return frames;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      const messageIds = received.map((f) => (f.event.name === 'message.received' ? f.event.messageId : ''));
      expect(new Set(received.map((f) => f.id)).size).toBe(WAITING);
      expect([...new Set(messageIds)].sort()).toEqual([...ids].sort());
      expect(pages).toEqual(Array.from({ length: WAITING / 100 }, () => 100));
    } finally {
      off();
    }
  });
});
