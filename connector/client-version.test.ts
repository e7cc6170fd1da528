// WhatsApp refusing the connector's client version (405, client too old), through real Baileys against
// the simulator: the session is FAILED with reason CLIENT_TOO_OLD at once, keeps its login, and does not
// retry; a connector configured with a newer version is let in.
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { desire, hubEvent, pair, sessionEvents, type Stack, useConnectorStack } from './test-stack.ts';
import { CONNECTOR_ID, KEY } from './test-stack.ts';
import { createAuthStore } from './whatsapp/auth-state.ts';

let simulator: Simulator;
let stack: Stack;

useConnectorStack('kabar-connector-version-', (world) => ({ simulator, stack } = world));

describe('a client version WhatsApp no longer accepts', () => {
  it('marks the session FAILED with CLIENT_TOO_OLD after one refusal and keeps its login', async () => {
    const phone = '6281700000001';
    await pair(stack, simulator, 'old-client', phone);
    simulator.requireClientVersion([2, 3000, 2_000_000_000]);
    const refusals: string[] = [];
    const off = simulator.events.on('client-too-old', (e) => refusals.push(e.version));
    try {
      const from = stack.hub.received.length;
      simulator.drop(phone);
      const failed = await hubEvent(stack.hub, 'old-client', 'connection.update', (e) => e.status === 'FAILED', from);
      expect(failed.reason).toMatch(/^CLIENT_TOO_OLD: /);
      expect(refusals).toEqual(['2.3000.1043857760']);
      const statuses = sessionEvents(stack.hub, 'old-client').slice(0).flatMap((e) => (e.name === 'connection.update' ? [e.status] : []));
      expect(statuses.slice(statuses.lastIndexOf('WORKING'))).toEqual(['WORKING', 'STARTING', 'FAILED']);
      expect(await createAuthStore(stack.db, KEY, CONNECTOR_ID).listSessions()).toContain('old-client');
    } finally {
      off();
      simulator.requireClientVersion(undefined);
    }
    // Restarting it (the hub asks again) brings it back with the same login.
    desire(stack.hub, [{ sessionId: 'old-client', state: 'stopped', authEpoch: 0 }]);
    await hubEvent(stack.hub, 'old-client', 'connection.update', (e) => e.status === 'STOPPED');
    const from = stack.hub.received.length;
    desire(stack.hub, [{ sessionId: 'old-client', state: 'running', authEpoch: 0 }]);
    await hubEvent(stack.hub, 'old-client', 'connection.update', (e) => e.status === 'WORKING', from);
  });
});
