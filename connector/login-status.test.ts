// Logging in and statuses that say why, through real Baileys: pairing by code, an unreachable WhatsApp, QR
// rounds nobody scans (and the stop that outlives a connector restart), and a scan by another phone.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { WAIT_MS, desire, hubEvent, requestPairingCode, sessionEvents, startStack, useSimulatorWorld } from './test-stack.ts';

let dir: string;
let simulator: Simulator;

// One QR per connection, each living 300 ms: a QR round ends fast, as a real one does after about a minute.
useSimulatorWorld('kabar-login-status-', (world) => ({ simulator, dir } = world), { qrRefs: 1 });
const QUICK_QR = { qrTimeout: 300 };

/** A loopback port nothing listens on: it was free a moment ago and is closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('statuses that say why', () => {
  it('reports STARTING with WHATSAPP_UNREACHABLE and the network error when WhatsApp cannot be reached', async () => {
    const stack = await startStack(`ws://127.0.0.1:${await closedPort()}/ws/chat`, join(dir, 'offline.db'));
    try {
      desire(stack.hub, [{ sessionId: 'offline', state: 'running', authEpoch: 0 }]);
      const update = await hubEvent(stack.hub, 'offline', 'connection.update', (e) => e.code === 'WHATSAPP_UNREACHABLE');
      expect(update.status).toBe('STARTING');
      expect(update.reason).toMatch(/ECONNREFUSED/);
    } finally {
      await stack.close();
    }
  });

  it('stops with QR_TIMEOUT after QR_MAX_ROUNDS unscanned rounds, stays stopped across a restart, and a start resumes it', async () => {
    const db = join(dir, 'qr.db');
    const session = { sessionId: 'unscanned', state: 'running' as const, authEpoch: 0 };
    const first = await startStack(simulator.wsUrl, db, [], { qrMaxRounds: 2, socketConfig: QUICK_QR });
    try {
      desire(first.hub, [session]);
      const stopped = await hubEvent(first.hub, 'unscanned', 'connection.update', (e) => e.status === 'STOPPED');
      expect(stopped).toMatchObject({ code: 'QR_TIMEOUT', reason: expect.stringMatching(/2 rounds/) });
      expect(sessionEvents(first.hub, 'unscanned').filter((e) => e.name === 'qr')).toHaveLength(2);
    } finally {
      await first.close();
    }

    // The hub still wants it running (nobody stopped it): the connector's own record keeps it stopped.
    const second = await startStack(simulator.wsUrl, db, [session], { qrMaxRounds: 2, socketConfig: QUICK_QR });
    try {
      const held = await hubEvent(second.hub, 'unscanned', 'connection.update', (e) => e.status === 'STOPPED');
      expect(held.code).toBe('QR_TIMEOUT');
      expect(sessionEvents(second.hub, 'unscanned').some((e) => e.name === 'qr' || (e.name === 'connection.update' && e.status === 'STARTING'))).toBe(false);

      desire(second.hub, [{ ...session, startEpoch: 1 }]);
      const { qr } = await hubEvent(second.hub, 'unscanned', 'qr');
      await simulator.scan(qr, '6281200000001');
      await hubEvent(second.hub, 'unscanned', 'connection.update', (e) => e.status === 'WORKING');
    } finally {
      await second.close();
    }
  });

  it('unlinks a scan by another phone than the session expects and says PHONE_MISMATCH', async () => {
    const stack = await startStack(simulator.wsUrl, join(dir, 'mismatch.db'));
    try {
      const wrong = '6281200000099';
      desire(stack.hub, [{ sessionId: 'expects', state: 'running', authEpoch: 0, phone: '6281200000002' }]);
      const { qr } = await hubEvent(stack.hub, 'expects', 'qr');
      const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === wrong, WAIT_MS);
      await simulator.scan(qr, wrong);
      const refused = await hubEvent(stack.hub, 'expects', 'connection.update', (e) => e.status === 'LOGGED_OUT');
      expect(refused).toMatchObject({ code: 'PHONE_MISMATCH', reason: expect.stringContaining(wrong) });
      await unlinked;
      expect(sessionEvents(stack.hub, 'expects').some((e) => e.name === 'connection.update' && e.status === 'WORKING')).toBe(false);
    } finally {
      await stack.close();
    }
  });

  it('accepts a scan by the phone the session expects', async () => {
    const stack = await startStack(simulator.wsUrl, join(dir, 'match.db'));
    try {
      desire(stack.hub, [{ sessionId: 'matches', state: 'running', authEpoch: 0, phone: '6281200000003' }]);
      const { qr } = await hubEvent(stack.hub, 'matches', 'qr');
      await simulator.scan(qr, '6281200000003');
      const working = await hubEvent(stack.hub, 'matches', 'connection.update', (e) => e.status === 'WORKING');
      expect(working.user?.id).toBe('6281200000003');
    } finally {
      await stack.close();
    }
  });
});

describe('lastSeenAt', () => {
  it('tells the hub, without an event, when a WORKING session last heard from WhatsApp, and a later time once it hears more', async () => {
    const stack = await startStack(simulator.wsUrl, join(dir, 'seen.db'), [], { seenIntervalMs: 100 });
    try {
      const phone = '6281200000020';
      desire(stack.hub, [{ sessionId: 'seen', state: 'running', authEpoch: 0 }]);
      const { qr } = await hubEvent(stack.hub, 'seen', 'qr');
      const before = Date.now();
      await simulator.scan(qr, phone);
      await hubEvent(stack.hub, 'seen', 'connection.update', (e) => e.status === 'WORKING');
      const nextSeen = () =>
        new Promise<number>((resolve) => {
          const listener = (frame: { sessions: { sessionId: string; at: number }[] }) => {
            const entry = frame.sessions.find((s) => s.sessionId === 'seen');
            if (!entry) return;
            stack.hub.events.off('seen', listener);
            resolve(entry.at);
          };
          stack.hub.events.on('seen', listener);
        });
      const first = await nextSeen();
      expect(first).toBeGreaterThanOrEqual(before);
      // A message from a contact is a frame from WhatsApp: the next report is later than the first.
      const later = nextSeen();
      await simulator.contactSend('6281900000020', phone, 'ping');
      expect(await later).toBeGreaterThan(first);
      expect(sessionEvents(stack.hub, 'seen').filter((e) => e.name === 'connection.update' && e.status === 'WORKING')).toHaveLength(1);
    } finally {
      await stack.close();
    }
  });
});

describe('pairing by code', () => {
  it('links the phone that enters the code, WORKING as that number, and refuses a second code once linked', async () => {
    const stack = await startStack(simulator.wsUrl, join(dir, 'code.db'));
    try {
      const phone = '6281200000010';
      desire(stack.hub, [{ sessionId: 'bycode', state: 'running', authEpoch: 0 }]);
      await hubEvent(stack.hub, 'bycode', 'qr');
      const result = await requestPairingCode(stack.hub, 'bycode', phone);
      if (!result.ok) throw new Error(`no code: ${result.error.message}`);
      expect(result.data.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      expect(result.data.expiresAt).toBeGreaterThan(Date.now());
      expect(await hubEvent(stack.hub, 'bycode', 'pairing.code')).toEqual({ name: 'pairing.code', ...result.data });

      expect(await simulator.enterPairingCode(phone, result.data.code)).toMatchObject({ jid: expect.stringContaining(phone) });
      const working = await hubEvent(stack.hub, 'bycode', 'connection.update', (e) => e.status === 'WORKING');
      expect(working.user?.id).toBe(phone);
      expect(await requestPairingCode(stack.hub, 'bycode', phone)).toMatchObject({ ok: false, error: { code: 'ALREADY_LOGGED_IN' } });
    } finally {
      await stack.close();
    }
  });

  it('links nothing when the phone enters another code', async () => {
    const stack = await startStack(simulator.wsUrl, join(dir, 'wrong-code.db'));
    try {
      const phone = '6281200000011';
      desire(stack.hub, [{ sessionId: 'wrongcode', state: 'running', authEpoch: 0 }]);
      await hubEvent(stack.hub, 'wrongcode', 'qr');
      const result = await requestPairingCode(stack.hub, 'wrongcode', phone);
      if (!result.ok) throw new Error(`no code: ${result.error.message}`);
      const wrong = result.data.code.startsWith('AAAA') ? 'BBBB-BBBB' : 'AAAA-AAAA';
      await expect(simulator.enterPairingCode(phone, wrong)).rejects.toThrow(/not the one the device showed/);
      expect(sessionEvents(stack.hub, 'wrongcode').some((e) => e.name === 'connection.update' && e.status === 'WORKING')).toBe(false);
    } finally {
      await stack.close();
    }
  });

  it('answers NOT_READY before the session shows a QR', async () => {
    const stack = await startStack(`ws://127.0.0.1:${await closedPort()}/ws/chat`, join(dir, 'code-offline.db'));
    try {
      desire(stack.hub, [{ sessionId: 'notready', state: 'running', authEpoch: 0 }]);
      await hubEvent(stack.hub, 'notready', 'connection.update', (e) => e.code === 'WHATSAPP_UNREACHABLE');
      expect(await requestPairingCode(stack.hub, 'notready', '6281200000012')).toMatchObject({ ok: false, error: { code: 'NOT_READY' } });
    } finally {
      await stack.close();
    }
  });
});
