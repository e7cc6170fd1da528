// The whole connector (hub link, outbox, sessions, real Baileys) against the WhatsApp simulator and the
// loopback test hub: pairing, sending, receiving, logout from the phone, reconnects, refused forgeries.
import { join } from 'node:path';
import { S_WHATSAPP_NET, makeWASocket, type WASocket } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/server.ts';
import type { DesiredSession, SessionEvent } from '../shared/protocol.ts';
import { openConnectorDb } from './db.ts';
import { CONNECTOR_ID, KEY, WAIT_MS, desire, hubEvent, pair, sendText, sessionEvents, silent, startStack, type Stack, useConnectorStack } from './test-stack.ts';
import { createAuthStore } from './whatsapp/auth-state.ts';
import { DeviceUnlinker } from './whatsapp/device-unlinker.ts';
import { createMessageStatusStore } from './whatsapp/message-status-store.ts';
import { createPendingUnlinks } from './whatsapp/pending-unlinks.ts';
import { createRecentMessages } from './whatsapp/recent-messages.ts';
import { WhatsAppSession } from './whatsapp/session.ts';

let dir: string;
let simulator: Simulator;
let stack: Stack;

useConnectorStack('kabar-connector-sim-', (world) => ({ simulator, dir, stack } = world));

describe('connector with real Baileys against the simulator', () => {
  it('pairs by QR, sends and receives texts, reports receipts and is logged out from the phone', async () => {
    const phone = '6281100000001';
    const contact = '6281900000001';
    desire(stack.hub, [{ sessionId: 'alpha', state: 'running', authEpoch: 0 }]);
    await hubEvent(stack.hub, 'alpha', 'connection.update', (e) => e.status === 'SCAN_QR_CODE');
    const qr = await hubEvent(stack.hub, 'alpha', 'qr');
    expect(qr.qrDataUrl.startsWith('data:image/png;base64,')).toBe(true);
    await simulator.scan(qr.qr, phone);
    const working = await hubEvent(stack.hub, 'alpha', 'connection.update', (e) => e.status === 'WORKING');
    expect(working.user?.id).toBe(phone);

    const stored = simulator.events.waitFor('message-stored', (m) => m.to === contact, WAIT_MS);
    const result = await sendText(stack.hub, 'alpha', contact, 'hello from kabar');
    expect(result).toMatchObject({ ok: true, data: { remoteJid: `${contact}@s.whatsapp.net` } });
    await stored;
    expect(simulator.inbox(contact).map((m) => m.text)).toContain('hello from kabar');

    const messageId = result.ok ? result.data.messageId : '';
    const sent = await hubEvent(stack.hub, 'alpha', 'message.sent', (e) => e.messageId === messageId);
    expect(sent).toMatchObject({ to: contact, text: 'hello from kabar', timestamp: result.ok ? result.data.timestamp : 0 });
    simulator.receipt(messageId, 'read');
    await hubEvent(stack.hub, 'alpha', 'message.status', (e) => e.messageId === messageId && e.status === 'read');

    const { id } = await simulator.contactSend(contact, phone, 'hello back');
    const incoming = await hubEvent(stack.hub, 'alpha', 'message.received', (e) => e.messageId === id);
    expect(incoming).toMatchObject({ from: contact, fromLid: expect.stringMatching(/@lid$/), text: 'hello back' });

    const authStore = createAuthStore(stack.db, KEY, CONNECTOR_ID);
    expect(await authStore.listSessions()).toContain('alpha');
    const keptMessages = () => stack.db.execute({ sql: 'SELECT count(*) AS n FROM recent_message WHERE session_id = ?', args: ['alpha'] }).then((r) => Number(r.rows[0]?.n));
    expect(await keptMessages()).toBe(2);
    simulator.unlink(phone);
    const loggedOut = await hubEvent(stack.hub, 'alpha', 'connection.update', (e) => e.status === 'LOGGED_OUT');
    expect(loggedOut.reason).toMatch(/^401/);
    expect(loggedOut.code).toBe('LOGGED_OUT_BY_PHONE');
    expect(await authStore.listSessions()).not.toContain('alpha');
    expect(await keptMessages()).toBe(0);
    expect(await sendText(stack.hub, 'alpha', contact, 'after logout')).toMatchObject({ ok: false, error: { code: 'SESSION_NOT_CONNECTED' } });
  });

  it('reconnects after a dropped connection without asking for a new QR', async () => {
    const phone = '6281100000002';
    await pair(stack, simulator, 'bravo', phone);
    const mark = stack.hub.received.length;
    const reconnected = simulator.events.waitFor('device-connected', (d) => d.phone === phone, WAIT_MS);
    simulator.drop(phone);
    await hubEvent(stack.hub, 'bravo', 'connection.update', (e) => e.status === 'STARTING', mark);
    await reconnected;
    await hubEvent(stack.hub, 'bravo', 'connection.update', (e) => e.status === 'WORKING', mark);
    expect(stack.hub.received.slice(mark).some((f) => f.sessionId === 'bravo' && f.event.name === 'qr')).toBe(false);
  });

  it('reconnects after its connection is replaced (440) and keeps the login', async () => {
    const phone = '6281100000006';
    await pair(stack, simulator, 'kilo', phone);
    const mark = stack.hub.received.length;
    const reconnected = simulator.events.waitFor('device-connected', (d) => d.phone === phone, WAIT_MS);
    simulator.replace(phone);
    const retrying = await hubEvent(stack.hub, 'kilo', 'connection.update', (e) => e.status === 'STARTING', mark);
    expect(retrying.reason).toMatch(/^440/);
    expect(retrying.code).toBe('REPLACED');
    await reconnected;
    await hubEvent(stack.hub, 'kilo', 'connection.update', (e) => e.status === 'WORKING', mark);
  });

  it('keeps a stopped session linked and resumes it without a QR', async () => {
    const phone = '6281100000003';
    await pair(stack, simulator, 'charlie', phone);
    const mark = stack.hub.received.length;
    desire(stack.hub, [{ sessionId: 'charlie', state: 'stopped', authEpoch: 0 }]);
    await hubEvent(stack.hub, 'charlie', 'connection.update', (e) => e.status === 'STOPPED', mark);
    desire(stack.hub, [{ sessionId: 'charlie', state: 'running', authEpoch: 0 }]);
    await hubEvent(stack.hub, 'charlie', 'connection.update', (e) => e.status === 'WORKING', mark);
    expect(stack.hub.received.slice(mark).some((f) => f.sessionId === 'charlie' && f.event.name === 'qr')).toBe(false);
  });

  it('unlinks and asks for a new QR when the auth epoch is bumped', async () => {
    const phone = '6281100000004';
    await pair(stack, simulator, 'delta', phone);
    const mark = stack.hub.received.length;
    const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === phone, WAIT_MS);
    desire(stack.hub, [{ sessionId: 'delta', state: 'running', authEpoch: 1 }]);
    await unlinked;
    await hubEvent(stack.hub, 'delta', 'connection.update', (e) => e.status === 'LOGGED_OUT', mark);
    await hubEvent(stack.hub, 'delta', 'qr', () => true, mark);
  });

  it('refuses a pairing whose account signature is forged', async () => {
    desire(stack.hub, [{ sessionId: 'echo', state: 'running', authEpoch: 0 }]);
    const { qr } = await hubEvent(stack.hub, 'echo', 'qr');
    await expect(simulator.scan(qr, '6281100000005', { forgeAccountSignature: true })).rejects.toThrow();
    expect(stack.hub.received.some((f) => f.sessionId === 'echo' && f.event.name === 'connection.update' && f.event.status === 'WORKING')).toBe(false);
    expect(await createAuthStore(stack.db, KEY, CONNECTOR_ID).load('echo').then((a) => a.state.creds.me)).toBeUndefined();
  });

  it('refuses a server whose certificate chain is signed by the wrong root', async () => {
    const wrong = await startSimulator({ port: 0, certRoot: 'wrong' });
    const other = await startStack(wrong.wsUrl, join(dir, 'wrong-root.db'));
    try {
      desire(other.hub, [{ sessionId: 'foxtrot', state: 'running', authEpoch: 0 }]);
      const retrying = await hubEvent(other.hub, 'foxtrot', 'connection.update', (e) => e.status === 'STARTING' && !!e.reason && e.code !== 'CONNECTING');
      expect(retrying.reason).toMatch(/certificate/);
      expect(other.hub.received.some((f) => f.event.name === 'qr')).toBe(false);
    } finally {
      await other.close();
      await wrong.close();
    }
  });
});

describe('connector restarts', () => {
  it('shuts down without unlinking and restores the session after a restart without a new QR', async () => {
    const phone = '6281100000020';
    const dbPath = join(dir, 'restart.db');
    const sessions: DesiredSession[] = [{ sessionId: 'india', state: 'running', authEpoch: 0 }];
    const first = await startStack(simulator.wsUrl, dbPath, sessions);
    const { qr } = await hubEvent(first.hub, 'india', 'qr');
    await simulator.scan(qr, phone);
    await hubEvent(first.hub, 'india', 'connection.update', (e) => e.status === 'WORKING');
    const unlinked: string[] = [];
    const offUnlinked = simulator.events.on('device-unlinked', (d) => unlinked.push(d.phone));
    await first.close();

    const second = await startStack(simulator.wsUrl, dbPath, sessions);
    try {
      await hubEvent(second.hub, 'india', 'connection.update', (e) => e.status === 'WORKING');
      expect(second.hub.received.some((f) => f.event.name === 'qr')).toBe(false);
      expect(unlinked).not.toContain(phone);
    } finally {
      offUnlinked();
      await second.close();
    }
  });

  it('lists stored logins in its hello and keeps those the welcome does not list, still linked (a hub on an empty database)', async () => {
    const phone = '6281100000021';
    const dbPath = join(dir, 'drop.db');
    const first = await startStack(simulator.wsUrl, dbPath, [{ sessionId: 'juliet', state: 'running', authEpoch: 0 }]);
    const { qr } = await hubEvent(first.hub, 'juliet', 'qr');
    await simulator.scan(qr, phone);
    await hubEvent(first.hub, 'juliet', 'connection.update', (e) => e.status === 'WORKING');
    await first.close();

    const unlinked: string[] = [];
    const offUnlinked = simulator.events.on('device-unlinked', (d) => unlinked.push(d.phone));
    let hello!: Promise<string[]>;
    const second = await startStack(simulator.wsUrl, dbPath, [], {}, (hub) => {
      hello = new Promise<string[]>((resolve) => hub.events.once('hello', (h) => resolve(h.held)));
    });
    try {
      // startStack returns once the welcome (which lists nothing and removes nothing) was applied.
      expect(await hello).toEqual(['juliet']);
      expect(await createAuthStore(second.db, KEY, CONNECTOR_ID).listSessions()).toEqual(['juliet']);
      expect(unlinked).toEqual([]);
      expect(sessionEvents(second.hub, 'juliet')).toEqual([]);
    } finally {
      offUnlinked();
      await second.close();
    }
    // The login is still good: a hub that lists the session again gets it back without a new QR.
    const third = await startStack(simulator.wsUrl, dbPath, [{ sessionId: 'juliet', state: 'running', authEpoch: 0 }]);
    try {
      await hubEvent(third.hub, 'juliet', 'connection.update', (e) => e.status === 'WORKING');
      expect(sessionEvents(third.hub, 'juliet').some((e) => e.name === 'qr')).toBe(false);
    } finally {
      await third.close();
    }
    expect(simulator.unlink(phone)).toEqual({ devices: 1 });
  });
});

describe('incoming messages and WhatsApp receipts', () => {
  it('stores an incoming message before WhatsApp gets its delivery receipt', async () => {
    const phone = '6281100000010';
    const contact = '6281900000010';
    const stored: SessionEvent[] = [];
    const receipted = new Set<string>();
    const storedBeforeReceipt = new Map<string, boolean>();
    const offReceipt = simulator.events.on('receipt-received', (r) => receipted.add(r.id));
    const db = await openConnectorDb(`file:${join(dir, 'receipt-order.db')}`);
    let sock: WASocket | null = null;
    let markStored!: () => void;
    const messageStored = new Promise<void>((resolve) => (markStored = resolve));
    const authStore = createAuthStore(db, KEY, CONNECTOR_ID);
    const socketConfig = { waWebSocketUrl: simulator.wsUrl, defaultQueryTimeoutMs: 5_000, connectTimeoutMs: 5_000 };
    const session = new WhatsAppSession({
      sessionId: 'hotel',
      authStore,
      unlinker: new DeviceUnlinker({ authStore, pending: createPendingUnlinks(db, KEY, { connectorId: CONNECTOR_ID, logger: silent }), makeSocket: makeWASocket, socketConfig, logger: silent }),
      makeSocket: (config) => (sock = makeWASocket(config)),
      socketConfig,
      statusStore: createMessageStatusStore(db),
      recentMessages: createRecentMessages(db, KEY, { connectorId: CONNECTOR_ID, retentionMs: 86_400_000 }),
      logger: silent,
      baileysLogger: silent,
      reconnectDelay: () => 50,
      emit: async (event) => {
        if (event.name === 'message.received') {
          // A ping on the same socket: the simulator reads frames in order, so once it has answered, it
          // has also seen any receipt Baileys sent before this store began.
          await sock!.query({ tag: 'iq', attrs: { to: S_WHATSAPP_NET, type: 'get', xmlns: 'w:p' }, content: [{ tag: 'ping', attrs: {} }] });
          storedBeforeReceipt.set(event.messageId, !receipted.has(event.messageId));
          markStored();
        }
        stored.push(event);
        if (event.name === 'qr') await simulator.scan(event.qr, phone);
      },
    });
    try {
      const connected = simulator.events.waitFor('device-connected', (d) => d.phone === phone, WAIT_MS);
      await session.start();
      await connected;
      const receipt = simulator.events.waitFor('receipt-received', (r) => r.from === phone && r.to === contact, WAIT_MS);
      const { id } = await simulator.contactSend(contact, phone, 'store me first');
      await Promise.all([receipt, messageStored]);
      expect(storedBeforeReceipt.get(id)).toBe(true);
      expect(stored.filter((e) => e.name === 'message.received' && e.messageId === id)).toHaveLength(1);
    } finally {
      offReceipt();
      await session.stop({ quiet: true });
      db.close();
    }
  });
});
