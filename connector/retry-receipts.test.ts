// A contact that could not decrypt a message asks for it again (a retry receipt), possibly long after it was
// sent: the connector answers from its own durable message store, not only from Baileys' per-socket cache,
// so the message is resent after a reconnect (a fresh socket) and after a connector restart.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DesiredSession } from '../shared/protocol.ts';
import type { Simulator } from '../simulator/server.ts';
import { WAIT_MS, hubEvent, pair, sendText, startStack, type Stack, useConnectorStack } from './test-stack.ts';

let dir: string;
let simulator: Simulator;
let stack: Stack;

useConnectorStack('kabar-connector-retry-', (world) => ({ simulator, dir, stack } = world));

/** Sends a text through the connector and resolves with its id once the contact has it. */
async function sendAndStore(s: Stack, sessionId: string, to: string, text: string): Promise<string> {
  const stored = simulator.events.waitFor('message-stored', (m) => m.to === to && m.text === text, WAIT_MS);
  const result = await sendText(s.hub, sessionId, to, text);
  if (!result.ok) throw new Error(`send failed: ${JSON.stringify(result)}`);
  await stored;
  return result.data.messageId;
}

/** The contact asks for message `id` again; resolves with what it then received under that id. */
async function retried(id: string): Promise<string> {
  const again = simulator.events.waitFor('message-stored', (m) => m.id === id, WAIT_MS);
  simulator.retryReceipt(id);
  return (await again).text;
}

describe('retry receipts', () => {
  it('resends a message the contact could not decrypt, on the socket that sent it', async () => {
    const phone = '6281100000600';
    const contact = '6281900000600';
    await pair(stack, simulator, 'retry-same', phone);
    const id = await sendAndStore(stack, 'retry-same', contact, 'first try');
    expect(await retried(id)).toBe('first try');
  });

  it('resends a message the contact could not decrypt after the socket that sent it was replaced by a reconnect', async () => {
    const phone = '6281100000601';
    const contact = '6281900000601';
    await pair(stack, simulator, 'retry-reconnect', phone);
    const id = await sendAndStore(stack, 'retry-reconnect', contact, 'please decrypt me');
    const mark = stack.hub.received.length;
    simulator.drop(phone);
    await hubEvent(stack.hub, 'retry-reconnect', 'connection.update', (e) => e.status === 'WORKING', mark);
    expect(await retried(id)).toBe('please decrypt me');
  });

  it('resends a message the contact could not decrypt after a connector restart', async () => {
    const phone = '6281100000602';
    const contact = '6281900000602';
    const dbPath = join(dir, 'restart.db');
    const sessions: DesiredSession[] = [{ sessionId: 'retry-restart', state: 'running', authEpoch: 0 }];
    const first = await startStack(simulator.wsUrl, dbPath, sessions);
    const { qr } = await hubEvent(first.hub, 'retry-restart', 'qr');
    await simulator.scan(qr, phone);
    await hubEvent(first.hub, 'retry-restart', 'connection.update', (e) => e.status === 'WORKING');
    const id = await sendAndStore(first, 'retry-restart', contact, 'sent before the restart');
    await first.close();

    const second = await startStack(simulator.wsUrl, dbPath, sessions);
    try {
      await hubEvent(second.hub, 'retry-restart', 'connection.update', (e) => e.status === 'WORKING');
      expect(await retried(id)).toBe('sent before the restart');
    } finally {
      await second.close();
    }
  });
});
