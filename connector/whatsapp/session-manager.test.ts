import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionStatus } from '../../shared/status.ts';
import { eventually } from '../../testing/eventually.ts';
import { openConnectorDb, type Client } from '../db.ts';
import { createAuthStore, type AuthStore } from './auth-state.ts';
import { createSessionEpochs } from './session-epochs.ts';
import { createSessionHolds } from './session-holds.ts';
import { SessionManager, type ManagedSession } from './session-manager.ts';
import { createStartQueue } from './start-queue.ts';

/** Records what the manager asks of a session; state changes as a real session's would. */
class FakeSession implements ManagedSession {
  status: SessionStatus = 'STOPPED';
  active = false;
  calls: string[] = [];
  quietStops = 0;
  /** Stands for the wait on WhatsApp while a device is unlinked. */
  readonly unlinking: () => Promise<void>;
  constructor(unlinking: () => Promise<void> = async () => {}) {
    this.unlinking = unlinking;
  }
  async start() {
    this.calls.push('start');
    this.active = true;
    this.status = 'WORKING';
  }
  async stop(options: { quiet?: boolean } = {}) {
    this.calls.push('stop');
    if (options.quiet) this.quietStops++;
    this.active = false;
    this.status = 'STOPPED';
  }
  lastSeenAt = null;
  linkedAt = () => null;
  expectPhone() {}
  async hold() {
    this.calls.push('hold');
  }
  async unlinkAndWipe(reason?: { code: string; message: string }) {
    this.calls.push('unlinkAndWipe');
    await this.unlinking();
    this.active = false;
    this.status = reason ? 'LOGGED_OUT' : 'STOPPED';
  }
  async requestPairingCode() {
    return { code: 'ABCD-EFGH', expiresAt: 0 };
  }
  async runGroupCommand() {
    return { groups: [] };
  }
  async sendText() {
    return { messageId: 'm', remoteJid: 'j', timestamp: 0 };
  }
  async sendContent() {
    return { messageId: 'm', remoteJid: 'j', timestamp: 0 };
  }
  async reuploadMedia(): Promise<never> {
    throw new Error('not connected');
  }
  actionContext(): never {
    throw new Error('not connected');
  }
}

let dir: string;
let db: Client;
let authStore: AuthStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kabar-manager-'));
  db = await openConnectorDb(`file:${join(dir, 'connector.db')}`);
  authStore = createAuthStore(db, Buffer.alloc(32, 3), 'c1');
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function manager(unlinking?: (sessionId: string) => Promise<void>) {
  const sessions = new Map<string, FakeSession>();
  const queue = createStartQueue(2);
  const starts: Promise<unknown>[] = [];
  const m = new SessionManager({
    authStore,
    epochs: createSessionEpochs(db, 'c1'),
    holds: createSessionHolds(db, 'c1'),
    startQueue: {
      run: (task) => {
        const run = queue.run(task);
        starts.push(run);
        return run;
      },
    },
    logger: pino({ level: 'silent' }),
    // Recorded among the session's calls, so a test sees it came after the unlink.
    forget: async (id) => void sessions.get(id)?.calls.push('forget'),
    createSession: (id) => {
      const s = new FakeSession(unlinking && (() => unlinking(id)));
      sessions.set(id, s);
      return s;
    },
  });
  /** Waits for the starts applyDesired queued; it deliberately does not await them itself. */
  const settle = async () => {
    await Promise.all(starts);
  };
  return { m, sessions, settle };
}

describe('session manager', () => {
  it('starts running sessions and leaves stopped ones closed', async () => {
    const { m, sessions, settle } = manager();
    await m.applyWelcome([
      { sessionId: 'run-1', state: 'running', authEpoch: 0 },
      { sessionId: 'stop-1', state: 'stopped', authEpoch: 0 },
    ], []);
    await settle();
    expect(sessions.get('run-1')?.calls).toEqual(['start']);
    expect(sessions.get('stop-1')?.calls).toEqual([]);
  });

  it('keeps a stored login that the welcome does not list: absence is no instruction (a hub on an empty or wrong database)', async () => {
    const { saveCreds } = await authStore.load('orphan');
    await saveCreds();
    const { m, sessions } = manager();
    await m.applyWelcome([], []);
    expect(sessions.get('orphan')).toBeUndefined();
    expect(await authStore.listSessions()).toContain('orphan');
    await authStore.wipe('orphan');
  });

  it('stops a running session that a later welcome no longer lists, quietly, and keeps its login', async () => {
    const { m, sessions, settle } = manager();
    await m.applyDesired([{ sessionId: 'moved', state: 'running', authEpoch: 0 }]);
    await settle();
    await m.applyWelcome([], []);
    expect(sessions.get('moved')?.calls).toEqual(['start', 'stop']);
    expect(sessions.get('moved')?.quietStops).toBe(1);
    expect(m.get('moved')).toBeUndefined();
  });

  it('unlinks and wipes exactly the sessions the welcome names as removed', async () => {
    for (const id of ['gone', 'stays']) await (await authStore.load(id)).saveCreds();
    const { m, sessions } = manager();
    await m.applyWelcome([], ['gone']);
    expect(sessions.get('gone')?.calls).toEqual(['unlinkAndWipe', 'forget']);
    expect(sessions.get('stays')).toBeUndefined();
    expect(m.get('gone')).toBeUndefined();
    await authStore.wipe('gone');
    await authStore.wipe('stays');
  });

  it('starts the listed sessions while a removed session still waits for WhatsApp to unlink it', async () => {
    const { saveCreds } = await authStore.load('slow-orphan');
    await saveCreds();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { m, sessions, settle } = manager((id) => (id === 'slow-orphan' ? released : Promise.resolve()));
    const welcome = m.applyWelcome([{ sessionId: 'eager', state: 'running', authEpoch: 0 }], ['slow-orphan']);
    await eventually(() => expect(sessions.get('eager')?.calls).toEqual(['start']));
    await settle();
    expect(sessions.get('slow-orphan')?.calls).toEqual(['unlinkAndWipe']);
    release();
    await welcome;
    expect(sessions.get('slow-orphan')?.calls).toEqual(['unlinkAndWipe', 'forget']);
    expect(m.get('slow-orphan')).toBeUndefined();
    await authStore.wipe('slow-orphan');
  });

  it('stops a running session without unlinking it', async () => {
    const { m, sessions, settle } = manager();
    await m.applyDesired([{ sessionId: 'st', state: 'running', authEpoch: 0 }]);
    await settle();
    await m.applyDesired([{ sessionId: 'st', state: 'stopped', authEpoch: 0 }]);
    expect(sessions.get('st')?.calls).toEqual(['start', 'stop']);
  });

  it('forgets the login on a higher auth epoch, then follows the state, and ignores an older epoch', async () => {
    const { m, sessions, settle } = manager();
    await m.applyDesired([{ sessionId: 'ep', state: 'running', authEpoch: 2 }]);
    await settle();
    await m.applyDesired([{ sessionId: 'ep', state: 'running', authEpoch: 3 }]);
    await settle();
    await m.applyDesired([{ sessionId: 'ep', state: 'running', authEpoch: 1 }]);
    await settle();
    expect(sessions.get('ep')?.calls).toEqual(['start', 'unlinkAndWipe', 'start']);
  });

  it('remembers the applied epoch across restarts, so a bump during downtime still wipes', async () => {
    const first = manager();
    await first.m.applyWelcome([{ sessionId: 'down', state: 'stopped', authEpoch: 4 }], []);
    const second = manager();
    await second.m.applyWelcome([{ sessionId: 'down', state: 'stopped', authEpoch: 5 }], []);
    // The wipe reported LOGGED_OUT; there is no socket to stop, and stopping would report STOPPED.
    expect(second.sessions.get('down')?.calls).toEqual(['unlinkAndWipe']);
    expect(second.sessions.get('down')?.status).toBe('LOGGED_OUT');
  });

  it('logs a running session out and leaves it LOGGED_OUT when the logout also stops it', async () => {
    const { m, sessions, settle } = manager();
    await m.applyDesired([{ sessionId: 'out', state: 'running', authEpoch: 0 }]);
    await settle();
    await m.applyDesired([{ sessionId: 'out', state: 'stopped', authEpoch: 1 }]);
    expect(sessions.get('out')?.calls).toEqual(['start', 'unlinkAndWipe']);
    expect(sessions.get('out')?.status).toBe('LOGGED_OUT');
  });

  it('leaves a logged-out session waiting until the user starts it again', async () => {
    const { m, sessions, settle } = manager();
    await m.applyDesired([{ sessionId: 'lo', state: 'running', authEpoch: 0 }]);
    await settle();
    const s = sessions.get('lo')!;
    s.active = false;
    s.status = 'LOGGED_OUT';
    await m.applyDesired([{ sessionId: 'lo', state: 'running', authEpoch: 0 }]);
    await settle();
    expect(s.calls).toEqual(['start']);
    await m.applyDesired([{ sessionId: 'lo', state: 'stopped', authEpoch: 0 }]);
    expect(s.status).toBe('LOGGED_OUT');
    await m.applyDesired([{ sessionId: 'lo', state: 'running', authEpoch: 0 }]);
    await settle();
    expect(s.calls).toEqual(['start', 'start']);
  });

  it('removes a session: unlinks it, then forgets it and what it left in the store', async () => {
    const { m, sessions, settle } = manager();
    await m.applyDesired([{ sessionId: 'rm', state: 'running', authEpoch: 0 }]);
    await settle();
    await m.remove(['rm']);
    expect(sessions.get('rm')?.calls).toEqual(['start', 'unlinkAndWipe', 'forget']);
    expect(m.get('rm')).toBeUndefined();
  });
});
