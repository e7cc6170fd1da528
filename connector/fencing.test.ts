// Fencing and handover on the connector: a connector whose lease the hub no longer renews closes its
// WhatsApp sockets itself before the lease can run out, and a session moved to another connector on the
// shared store takes its login (and the media it still has to fetch) along while the old connector, back
// again, leaves it alone.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { eventually } from '../testing/eventually.ts';
import { WAIT_MS, hubEvent, startStack, useSimulatorWorld } from './test-stack.ts';

let dir: string;
let simulator: Simulator;
useSimulatorWorld('kabar-fencing-', (world) => ({ simulator, dir } = world));

/** Short enough for a test, long enough that a loaded machine renews well inside it (a renewal every second). */
const LEASE_MS = 4_000;

function watchSimulator() {
  const replaced: string[] = [];
  const unlinked: string[] = [];
  const disconnectedAt = new Map<string, number>();
  const offs = [
    simulator.events.on('device-replaced', (d) => replaced.push(d.phone)),
    simulator.events.on('device-unlinked', (d) => unlinked.push(d.phone)),
    simulator.events.on('device-disconnected', (d) => disconnectedAt.set(d.phone, Date.now())),
  ];
  return { replaced, unlinked, disconnectedAt, off: () => offs.forEach((off) => off()) };
}

describe('connector fencing', () => {
  it('closes its WhatsApp socket with LEASE_LOST before the lease runs out when the hub stops renewing though it still answers pings, and resumes on the next welcome', async () => {
    const phone = '6281100000051';
    const seen = watchSimulator();
    const stack = await startStack(simulator.wsUrl, join(dir, 'fence.db'), [{ sessionId: 'fenced', state: 'running', authEpoch: 0 }], { leaseMs: LEASE_MS });
    try {
      const { qr } = await hubEvent(stack.hub, 'fenced', 'qr');
      await simulator.scan(qr, phone);
      await hubEvent(stack.hub, 'fenced', 'connection.update', (e) => e.status === 'WORKING');

      // The hub stops renewing (it cannot write the directory), while the runtime still answers every ping:
      // its lease runs out LEASE_MS after the last renewal it answered.
      let lastAnsweredRenewalAt = Date.now();
      let answering = true;
      stack.hub.events.on('renew', () => {
        if (answering) lastAnsweredRenewalAt = Date.now();
      });
      answering = false;
      stack.hub.setRenewals(false);
      const from = stack.hub.received.length;
      const stopped = await hubEvent(stack.hub, 'fenced', 'connection.update', (e) => e.status === 'STOPPED', from);
      expect(stopped.code).toBe('LEASE_LOST');
      const closedAt = seen.disconnectedAt.get(phone);
      expect(closedAt).toBeDefined();
      // The fence: the socket was closed while the hub's lease on this connector was still valid.
      expect(closedAt!).toBeLessThan(lastAnsweredRenewalAt + LEASE_MS);

      stack.hub.setRenewals(true);
      await hubEvent(stack.hub, 'fenced', 'connection.update', (e) => e.status === 'WORKING', from);
      expect(seen.replaced).toEqual([]);
      expect(seen.unlinked).toEqual([]);
    } finally {
      await stack.close();
      seen.off();
    }
    expect(simulator.unlink(phone)).toEqual({ devices: 1 });
  });

  it('hands a moved session over with its login on the shared store; the old connector, back, neither holds nor fights for it', async () => {
    const phone = '6281100000052';
    const contact = '6281100000053';
    const seen = watchSimulator();
    const dbPath = join(dir, 'shared.db');
    const alpha = await startStack(simulator.wsUrl, dbPath, [{ sessionId: 'moving', state: 'running', authEpoch: 0 }], { connectorId: 'edge-a', leaseMs: LEASE_MS });
    try {
      const { qr } = await hubEvent(alpha.hub, 'moving', 'qr');
      await simulator.scan(qr, phone);
      await hubEvent(alpha.hub, 'moving', 'connection.update', (e) => e.status === 'WORKING');

      // Alpha's hub goes silent and, by the time alpha is welcomed again, has given the session away.
      alpha.hub.setSessions([]);
      alpha.hub.setRenewals(false);
      const stopped = await hubEvent(alpha.hub, 'moving', 'connection.update', (e) => e.status === 'STOPPED');
      expect(stopped.code).toBe('LEASE_LOST');

      const bravo = await startStack(simulator.wsUrl, dbPath, [{ sessionId: 'moving', state: 'running', authEpoch: 0 }], { connectorId: 'edge-b', leaseMs: LEASE_MS });
      try {
        await hubEvent(bravo.hub, 'moving', 'connection.update', (e) => e.status === 'WORKING');
        // The login came along: no QR, the same linked device.
        expect(bravo.hub.received.filter((f) => f.sessionId === 'moving' && f.event.name === 'qr')).toEqual([]);
        const { id } = await simulator.contactSend(contact, phone, 'sent after the move');
        const received = await hubEvent(bravo.hub, 'moving', 'message.received', (e) => e.messageId === id);
        expect(received.text).toBe('sent after the move');

        // Alpha comes back: its hello no longer lists the session, and it starts nothing.
        alpha.hub.setRenewals(true);
        const hello = new Promise<string[]>((resolve) => alpha.hub.events.once('hello', (h) => resolve(h.held)));
        alpha.hub.drop();
        expect(await hello).toEqual([]);
        expect(alpha.connector.sessions.get('moving')?.active ?? false).toBe(false);
        expect(seen.replaced).toEqual([]);
        expect(seen.unlinked).toEqual([]);
      } finally {
        await bravo.close();
      }
    } finally {
      await alpha.close();
      seen.off();
    }
    expect(simulator.unlink(phone)).toEqual({ devices: 1 });
  });
  it('hands media still to fetch over with a moved session: the new connector stores it and reports the message, the old one never does', async () => {
    const phone = '6281100000054';
    const contact = '6281900000054';
    const dbPath = join(dir, 'media-move.db');
    const session = [{ sessionId: 'moving-media', state: 'running' as const, authEpoch: 0 }];
    // A failed fetch waits an hour at the old connector: only the move can get it done meanwhile.
    const alpha = await startStack(simulator.wsUrl, dbPath, session, { connectorId: 'edge-a', mediaRetryDelay: () => 3_600_000 });
    try {
      const { qr } = await hubEvent(alpha.hub, 'moving-media', 'qr');
      await simulator.scan(qr, phone);
      await hubEvent(alpha.hub, 'moving-media', 'connection.update', (e) => e.status === 'WORKING');
      alpha.media.refusePuts(true);
      const refused = alpha.media.nextRefusedPut();
      const { id } = await simulator.contactSendMedia(contact, phone, { type: 'document', data: randomBytes(8_000), mimetype: 'application/pdf', filename: 'moved.pdf' });
      await refused;
      const jobs = async () => (await alpha.db.execute('SELECT connector_id, attempts FROM media_job')).rows.map((r) => [String(r.connector_id), Number(r.attempts)]);
      await eventually(async () => expect(await jobs()).toEqual([['edge-a', 1]]));

      // The hub gives the session to another connector: alpha, welcomed again without it, lets it go.
      alpha.hub.setSessions([]);
      const disconnected = simulator.events.waitFor('device-disconnected', (d) => d.phone === phone, WAIT_MS);
      alpha.hub.drop();
      await disconnected;
      // The job's wait was alpha's; the new holder need not wait out alpha's hour.
      await alpha.db.execute('UPDATE media_job SET next_at = 0');

      const bravo = await startStack(simulator.wsUrl, dbPath, session, { connectorId: 'edge-b' });
      try {
        const received = await hubEvent(bravo.hub, 'moving-media', 'message.received', (e) => e.messageId === id);
        expect(received.media?.id).toBeDefined();
        expect(bravo.media.stored.has(received.media!.id!)).toBe(true);
        await eventually(async () => expect(await jobs()).toEqual([]));
        expect(alpha.media.putsStarted.get(received.media!.id!)).toBe(1);
        expect(alpha.hub.received.some((f) => f.event.name === 'message.received' && f.event.messageId === id)).toBe(false);
      } finally {
        await bravo.close();
      }
    } finally {
      await alpha.close();
    }
    expect(simulator.unlink(phone)).toEqual({ devices: 1 });
  });
});
