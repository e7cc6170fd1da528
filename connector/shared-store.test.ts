// Two connectors on one store (a shared CONNECTOR_DB_URL): each lists, runs and unlinks only the logins it
// owns, so starting a second connector never unlinks the first one's phones.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { KEY, hubEvent, sessionEvents, startStack, useSimulatorWorld } from './test-stack.ts';
import { createAuthStore } from './whatsapp/auth-state.ts';

let dir: string;
let simulator: Simulator;
useSimulatorWorld('kabar-shared-store-', (world) => ({ simulator, dir } = world));

describe('a store shared by two connectors', () => {
  it("does not list, stop or unlink the other connector's logins, and keeps its own apart", async () => {
    const alphaPhone = '6281100000041';
    const bravoPhone = '6281100000042';
    const dbPath = join(dir, 'shared.db');
    const unlinked: string[] = [];
    const offUnlinked = simulator.events.on('device-unlinked', (d) => unlinked.push(d.phone));

    const alpha = await startStack(simulator.wsUrl, dbPath, [{ sessionId: 'alpha', state: 'running', authEpoch: 0 }], { connectorId: 'edge-a' });
    let bravoHeld!: Promise<string[]>;
    try {
      const { qr } = await hubEvent(alpha.hub, 'alpha', 'qr');
      await simulator.scan(qr, alphaPhone);
      await hubEvent(alpha.hub, 'alpha', 'connection.update', (e) => e.status === 'WORKING');
      const alphaEvents = alpha.hub.received.length;

      // The second connector's hub knows nothing of "alpha" (as a fresh or wrong database would not).
      const bravo = await startStack(simulator.wsUrl, dbPath, [{ sessionId: 'bravo', state: 'running', authEpoch: 0 }], { connectorId: 'edge-b' }, (hub) => {
        hub.setRemoved(['alpha']);
        bravoHeld = new Promise((resolve) => hub.events.once('hello', (h) => resolve(h.held)));
      });
      try {
        expect(await bravoHeld).toEqual([]);
        const { qr: bravoQr } = await hubEvent(bravo.hub, 'bravo', 'qr');
        await simulator.scan(bravoQr, bravoPhone);
        await hubEvent(bravo.hub, 'bravo', 'connection.update', (e) => e.status === 'WORKING');

        expect(await createAuthStore(alpha.db, KEY, 'edge-a').listSessions()).toEqual(['alpha']);
        expect(await createAuthStore(bravo.db, KEY, 'edge-b').listSessions()).toEqual(['bravo']);
        expect(sessionEvents(bravo.hub, 'alpha')).toEqual([]);
        // The first connector's session was not touched: no new status, still linked.
        expect(alpha.hub.received.slice(alphaEvents).filter((f) => f.sessionId === 'alpha')).toEqual([]);
        expect(unlinked).toEqual([]);
      } finally {
        await bravo.close();
      }
    } finally {
      await alpha.close();
      offUnlinked();
    }
    expect(simulator.unlink(alphaPhone)).toEqual({ devices: 1 });
    expect(simulator.unlink(bravoPhone)).toEqual({ devices: 1 });
  });
});
