// Logouts and deletes that reach the connector while no socket is open for the session (it was down):
// the device must still be removed from the phone, over a quiet socket, now or by a later retry.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeWASocket } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import type { DesiredSession } from '../shared/protocol.ts';
import { eventually } from '../testing/eventually.ts';
import { CONNECTOR_ID, KEY, WAIT_MS, hubEvent, sessionEvents, silent, startStack, useSimulatorWorld } from './test-stack.ts';
import { createAuthStore } from './whatsapp/auth-state.ts';
import { createPendingUnlinks } from './whatsapp/pending-unlinks.ts';
import type { SocketFactory } from './whatsapp/session.ts';

let dir: string;
let simulator: Simulator;
/** A WhatsApp that cannot be reached: it accepts TCP and hangs up at once. */
let refusing: Server;
let refusingUrl: string;

useSimulatorWorld('kabar-device-unlink-', (world) => ({ simulator, dir } = world));

beforeAll(async () => {
  refusing = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
  refusingUrl = `ws://127.0.0.1:${(refusing.address() as AddressInfo).port}/ws/chat`;
});

afterAll(async () => {
  await new Promise((resolve) => refusing?.close(resolve));
});

/** Pairs `sessionId` with `phone` on a connector using the store at `dbPath`, then shuts that connector down. */
async function pairedThenDown(dbPath: string, sessionId: string, phone: string): Promise<void> {
  const stack = await startStack(simulator.wsUrl, dbPath, [{ sessionId, state: 'running', authEpoch: 0 }]);
  const { qr } = await hubEvent(stack.hub, sessionId, 'qr');
  await simulator.scan(qr, phone);
  await hubEvent(stack.hub, sessionId, 'connection.update', (e) => e.status === 'WORKING');
  await stack.close();
}

/** Real Baileys sockets, except that the login of `phone` cannot reach WhatsApp while `blocked()` holds. */
function blockingPhone(phone: string, blocked: () => boolean): SocketFactory {
  return (config) => {
    const mine = config.auth.creds.me?.id.startsWith(`${phone}:`) ?? false;
    return makeWASocket(mine && blocked() ? { ...config, waWebSocketUrl: refusingUrl } : config);
  };
}

/** Records the phone's devices removed from now on, whoever removed them. */
function unlinksOf(phone: string): { count: () => number; stop: () => void } {
  let count = 0;
  const stop = simulator.events.on('device-unlinked', (d) => {
    if (d.phone === phone) count++;
  });
  return { count: () => count, stop };
}

describe('unlinking a device whose session has no open socket', () => {
  it('logs out a session logged out while the connector was down, on its next start, quietly and leaving it LOGGED_OUT', async () => {
    const phone = '6281100000031';
    const dbPath = join(dir, 'logout.db');
    await pairedThenDown(dbPath, 'lima', phone);

    const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === phone, WAIT_MS);
    const loggedOut: DesiredSession[] = [{ sessionId: 'lima', state: 'stopped', authEpoch: 1 }];
    const stack = await startStack(simulator.wsUrl, dbPath, loggedOut);
    try {
      await unlinked;
      await hubEvent(stack.hub, 'lima', 'connection.update', (e) => e.status === 'LOGGED_OUT');
      expect(() => simulator.unlink(phone)).toThrow(/no linked device/);
      // The logout socket reported nothing: the only event is the logout itself.
      expect(sessionEvents(stack.hub, 'lima')).toEqual([{ name: 'connection.update', status: 'LOGGED_OUT', reason: 'login reset (auth epoch 1)', code: 'LOGIN_RESET' }]);
      expect(await createAuthStore(stack.db, KEY, CONNECTOR_ID).listSessions()).not.toContain('lima');
      expect(await createPendingUnlinks(stack.db, KEY, { connectorId: CONNECTOR_ID, logger: silent }).list()).toEqual([]);
    } finally {
      await stack.close();
    }
  });

  it('unlinks a session deleted while the connector was down, named in the welcome as removed, without reporting anything', async () => {
    const phone = '6281100000032';
    const dbPath = join(dir, 'delete.db');
    await pairedThenDown(dbPath, 'mike', phone);

    const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === phone, WAIT_MS);
    const stack = await startStack(simulator.wsUrl, dbPath, [], {}, (hub) => hub.setRemoved(['mike']));
    try {
      await unlinked;
      expect(() => simulator.unlink(phone)).toThrow(/no linked device/);
      expect(sessionEvents(stack.hub, 'mike')).toEqual([]);
      expect(await createAuthStore(stack.db, KEY, CONNECTOR_ID).listSessions()).toEqual([]);
      expect(await createPendingUnlinks(stack.db, KEY, { connectorId: CONNECTOR_ID, logger: silent }).list()).toEqual([]);
    } finally {
      await stack.close();
    }
  });

  it('keeps a pending unlink while WhatsApp cannot be reached and retries it until the device is removed', async () => {
    const phone = '6281100000033';
    const dbPath = join(dir, 'retry.db');
    await pairedThenDown(dbPath, 'november', phone);

    let blocked = true;
    const unlinks = unlinksOf(phone);
    const welcome: DesiredSession[] = [
      { sessionId: 'november', state: 'stopped', authEpoch: 1 },
      { sessionId: 'oscar', state: 'running', authEpoch: 0 },
    ];
    const stack = await startStack(simulator.wsUrl, dbPath, welcome, { makeSocket: blockingPhone(phone, () => blocked), unlinkRetryDelay: () => 50 });
    try {
      await hubEvent(stack.hub, 'november', 'connection.update', (e) => e.status === 'LOGGED_OUT');
      // The login is forgotten locally, but the phone still has the device: the unlink is pending.
      const pending = createPendingUnlinks(stack.db, KEY, { connectorId: CONNECTOR_ID, logger: silent });
      expect(await pending.list()).toEqual([expect.objectContaining({ sessionId: 'november', device: expect.stringMatching(new RegExp(`^${phone}:`)) })]);
      expect(await createAuthStore(stack.db, KEY, CONNECTOR_ID).listSessions()).not.toContain('november');
      // Another session is not held up by it and shows its QR; the pending one shows none.
      await hubEvent(stack.hub, 'oscar', 'qr');
      await eventually(async () => expect((await pending.list())[0]?.attempts).toBeGreaterThanOrEqual(2));
      expect(unlinks.count()).toBe(0);
      expect(sessionEvents(stack.hub, 'november').map((e) => e.name)).toEqual(['connection.update']);

      const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === phone, WAIT_MS);
      blocked = false;
      await unlinked;
      expect(() => simulator.unlink(phone)).toThrow(/no linked device/);
      await eventually(async () => expect(await pending.list()).toEqual([]));
      expect(sessionEvents(stack.hub, 'november').map((e) => e.name)).toEqual(['connection.update']);
    } finally {
      unlinks.stop();
      await stack.close();
    }
  });

  it('retries a pending unlink left by an earlier run as soon as the connector starts again', async () => {
    const phone = '6281100000034';
    const dbPath = join(dir, 'restart.db');
    await pairedThenDown(dbPath, 'papa', phone);
    const loggedOut: DesiredSession[] = [{ sessionId: 'papa', state: 'stopped', authEpoch: 1 }];

    const unlinks = unlinksOf(phone);
    // The next retry is an hour away, so only the restart can remove the device in this test.
    const offline = await startStack(simulator.wsUrl, dbPath, loggedOut, { makeSocket: blockingPhone(phone, () => true), unlinkRetryDelay: () => 3_600_000 });
    await hubEvent(offline.hub, 'papa', 'connection.update', (e) => e.status === 'LOGGED_OUT');
    await offline.close();
    expect(unlinks.count()).toBe(0);
    unlinks.stop();

    const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === phone, WAIT_MS);
    const online = await startStack(simulator.wsUrl, dbPath, loggedOut);
    try {
      await unlinked;
      expect(() => simulator.unlink(phone)).toThrow(/no linked device/);
      await eventually(async () => expect(await createPendingUnlinks(online.db, KEY, { connectorId: CONNECTOR_ID, logger: silent }).list()).toEqual([]));
      // The logout was applied by the earlier run; this one only finished the unlink, silently.
      expect(sessionEvents(online.hub, 'papa')).toEqual([]);
    } finally {
      await online.close();
    }
  });
});
