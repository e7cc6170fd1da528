// Sends WhatsApp refuses with an error ack, through real Baileys against the simulator: the connector
// reports `failed` with the reason, whether the ack came at once (folded into Baileys' upsert) or late.
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { hubEvent, pair, sendText, sessionEvents, type Stack, useConnectorStack } from './test-stack.ts';

let simulator: Simulator;
let stack: Stack;

useConnectorStack('kabar-connector-failed-', (world) => ({ simulator, stack } = world), { simulator: { autoReceipts: 'delivered' } });

describe('sends refused with an error ack', () => {
  it.each([
    [463, 0, 'ACCOUNT_RESTRICTED'],
    [463, 500, 'ACCOUNT_RESTRICTED'],
    [479, 0, 'MESSAGE_REJECTED'],
    [479, 500, 'MESSAGE_REJECTED'],
  ])('an error ack %i after %i ms becomes message.status failed with the reason %s', async (code, delayMs, reason) => {
    const phone = `628160000${code}${delayMs === 0 ? 0 : 1}`;
    const contact = `628190000${code}${delayMs === 0 ? 0 : 1}`;
    const sessionId = `refused-${code}-${delayMs}`;
    await pair(stack, simulator, sessionId, phone);
    simulator.refuseSends(phone, contact, { code, delayMs });
    const result = await sendText(stack.hub, sessionId, contact, 'will be refused');
    if (!result.ok) throw new Error(`send failed: ${JSON.stringify(result)}`);
    const { messageId } = result.data;

    const failed = await hubEvent(stack.hub, sessionId, 'message.status', (e) => e.messageId === messageId && e.status === 'failed');
    expect(failed.error).toEqual({ code: reason, message: expect.stringContaining(String(code)) });
    expect(sessionEvents(stack.hub, sessionId).filter((e) => e.name === 'message.status' && e.messageId === messageId)).toHaveLength(1);
  });
});
