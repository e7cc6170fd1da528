// The connector as a process: configuration errors, start-up against the test hub and the simulator,
// and a graceful SIGTERM that leaves the WhatsApp login linked.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/server.ts';
import { eventually } from '../testing/eventually.ts';
import type { ConnectorFrame } from '../shared/protocol.ts';
import { LEASE_HELD_EXIT_CODE } from './lease.ts';
import { startTestHub, type TestHub } from './test-hub.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const SECRET = 'process-test-secret-0123456789';

let dir: string;
let simulator: Simulator;
let hub: TestHub;
const children: ReturnType<typeof spawn>[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kabar-main-'));
  simulator = await startSimulator({ port: 0 });
  hub = await startTestHub({ secret: SECRET, autoAck: true, sessions: [{ sessionId: 'proc', state: 'running', authEpoch: 0 }] });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await hub?.close();
  await simulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, output: () => output };
}

function nextEvent(test: (frame: Extract<ConnectorFrame, { type: 'event' }>) => boolean) {
  const seen = hub.received.find(test);
  if (seen) return Promise.resolve(seen);
  return new Promise<Extract<ConnectorFrame, { type: 'event' }>>((resolve) => {
    const listener = (frame: Extract<ConnectorFrame, { type: 'event' }>) => {
      if (!test(frame)) return;
      hub.events.off('event', listener);
      resolve(frame);
    };
    hub.events.on('event', listener);
  });
}

describe('connector process', () => {
  it('exits with the name of each bad or missing variable', async () => {
    const proc = run({ HUB_URL: 'http://not-ws', CONNECTOR_SECRET: 'short' });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/HUB_URL: must be a ws/);
    expect(proc.output()).toMatch(/CONNECTOR_ID: is required/);
    expect(proc.output()).toMatch(/CONNECTOR_SECRET: must be at least 16/);
    expect(proc.output()).toMatch(/AUTH_STATE_KEY: is required/);
  });

  it('refuses the simulator root unless WhatsApp is a loopback ws:// URL', async () => {
    const proc = run({
      HUB_URL: hub.url,
      CONNECTOR_ID: 'proc',
      CONNECTOR_SECRET: SECRET,
      AUTH_STATE_KEY: 'cd'.repeat(32),
      WA_SIMULATOR: '1',
      WA_WS_URL: 'wss://web.whatsapp.com/ws/chat',
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/WA_SIMULATOR=1 requires WA_WS_URL to be a loopback ws:\/\/ URL/);
  });

  it('pairs through the simulator and stops on SIGTERM without unlinking', async () => {
    const phone = '6281100000030';
    const proc = run({
      HUB_URL: hub.url,
      CONNECTOR_ID: 'proc',
      CONNECTOR_SECRET: SECRET,
      AUTH_STATE_KEY: 'cd'.repeat(32),
      CONNECTOR_DB_URL: `file:${join(dir, 'data', 'connector.db')}`,
      WA_SIMULATOR: '1',
      WA_WS_URL: simulator.wsUrl,
      LOG_LEVEL: 'warn',
    });
    const qr = await nextEvent((f) => f.sessionId === 'proc' && f.event.name === 'qr');
    if (qr.event.name !== 'qr') throw new Error('unreachable');
    await simulator.scan(qr.event.qr, phone);
    await nextEvent((f) => f.sessionId === 'proc' && f.event.name === 'connection.update' && f.event.status === 'WORKING');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toMatch(/trusting the WhatsApp SIMULATOR test root key/);
    expect(simulator.unlink(phone)).toEqual({ devices: 1 });
  });

  it("drains when the terminal's SIGINT and a supervisor's SIGTERM arrive together", async () => {
    const quietHub = await startTestHub({ secret: SECRET, autoAck: true, sessions: [] });
    try {
      const proc = run({
        HUB_URL: quietHub.url,
        CONNECTOR_ID: 'twice',
        CONNECTOR_SECRET: SECRET,
        AUTH_STATE_KEY: 'ab'.repeat(32),
        CONNECTOR_DB_URL: `file:${join(dir, 'twice.db')}`,
        WA_SIMULATOR: '1',
        WA_WS_URL: simulator.wsUrl,
        LOG_LEVEL: 'info',
      });
      await eventually(() => expect(proc.output()).toContain('hub link ready'), { timeoutMs: 20_000 });
      proc.child.kill('SIGINT');
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toContain('"msg":"connector stopped"');
    } finally {
      await quietHub.close();
    }
  });

  it('loses no incoming message when killed with SIGKILL right after WhatsApp got the receipt', async () => {
    const phone = '6281100000031';
    const contact = '6281900000031';
    const killHub = await startTestHub({ secret: SECRET, autoAck: true, sessions: [{ sessionId: 'kill', state: 'running', authEpoch: 0 }] });
    const env = {
      HUB_URL: killHub.url,
      CONNECTOR_ID: 'kill',
      CONNECTOR_SECRET: SECRET,
      AUTH_STATE_KEY: 'ef'.repeat(32),
      CONNECTOR_DB_URL: `file:${join(dir, 'kill.db')}`,
      WA_SIMULATOR: '1',
      WA_WS_URL: simulator.wsUrl,
      LOG_LEVEL: 'warn',
    };
    const waitEvent = (test: (f: Extract<ConnectorFrame, { type: 'event' }>) => boolean, from = 0, what = 'event') =>
      new Promise<Extract<ConnectorFrame, { type: 'event' }>>((resolve, reject) => {
        const seen = killHub.received.slice(from).find(test);
        if (seen) return resolve(seen);
        const timer = setTimeout(() => {
          killHub.events.off('event', listener);
          reject(new Error(`no ${what} within 15 s`));
        }, 15_000);
        const listener = (frame: Extract<ConnectorFrame, { type: 'event' }>) => {
          if (!test(frame)) return;
          clearTimeout(timer);
          killHub.events.off('event', listener);
          resolve(frame);
        };
        killHub.events.on('event', listener);
      });
    try {
      const first = run(env);
      const qr = await waitEvent((f) => f.event.name === 'qr');
      if (qr.event.name !== 'qr') throw new Error('unreachable');
      await simulator.scan(qr.event.qr, phone);
      await waitEvent((f) => f.event.name === 'connection.update' && f.event.status === 'WORKING');
      // From here the hub acks nothing, so only the connector's outbox can still deliver the message.
      killHub.setAutoAck(false);
      const off = simulator.events.on('receipt-received', (r) => {
        if (r.from === phone && r.to === contact) first.child.kill('SIGKILL');
      });
      const { id } = await simulator.contactSend(contact, phone, 'do not lose me');
      expect(await first.exited).toBeNull();
      off();

      killHub.setAutoAck(true);
      const mark = killHub.received.length;
      const second = run(env);
      const delivered = await waitEvent(
        (f) => f.event.name === 'message.received' && f.event.messageId === id,
        mark,
        'message.received after the restart: the message was lost (is connector/patches applied to Baileys?)',
      );
      expect(delivered.event).toMatchObject({ from: contact, text: 'do not lose me' });
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      await killHub.close();
    }
  });

  it('refuses to start a second process with the same connector id on the same store, leaving the first one linked', async () => {
    const phone = '6281100000036';
    const twinHub = await startTestHub({ secret: SECRET, autoAck: true, sessions: [{ sessionId: 'twin', state: 'running', authEpoch: 0 }] });
    const hellos: string[] = [];
    twinHub.events.on('hello', (h) => hellos.push(h.connectorId));
    // What a second `npm start` in the same folder runs: the same environment and store.
    const env = {
      HUB_URL: twinHub.url,
      CONNECTOR_ID: 'twin',
      CONNECTOR_SECRET: SECRET,
      AUTH_STATE_KEY: 'ab'.repeat(32),
      CONNECTOR_DB_URL: `file:${join(dir, 'twin', 'connector.db')}`,
      WA_SIMULATOR: '1',
      WA_WS_URL: simulator.wsUrl,
      LOG_LEVEL: 'warn',
    };
    const unlinked: string[] = [];
    const offUnlinked = simulator.events.on('device-unlinked', (d) => unlinked.push(d.phone));
    try {
      const first = run(env);
      const qr = await new Promise<string>((resolve) =>
        twinHub.events.on('event', (f) => {
          if (f.event.name === 'qr') resolve(f.event.qr);
        }),
      );
      await simulator.scan(qr, phone);
      await new Promise<void>((resolve) =>
        twinHub.events.on('event', (f) => {
          if (f.event.name === 'connection.update' && f.event.status === 'WORKING') resolve();
        }),
      );

      const second = run(env);
      expect(await second.exited).toBe(LEASE_HELD_EXIT_CODE);
      expect(second.output()).toMatch(/another connector process with CONNECTOR_ID=twin is running on this store .*refusing to start/);
      // It never dialled the hub, so it could not take the link (or the logins) over.
      expect(hellos).toEqual(['twin']);
      expect(first.child.exitCode).toBeNull();

      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(unlinked).toEqual([]);
      expect(simulator.unlink(phone)).toEqual({ devices: 1 });
    } finally {
      offUnlinked();
      await twinHub.close();
    }
  });
});
