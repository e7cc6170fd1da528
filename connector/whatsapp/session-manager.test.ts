import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionStatus } from '../../shared/status.ts';
import { openConnectorDb, type Client } from '../db.ts';
import { createAuthStore, type AuthStore } from './auth-state.ts';
import { createSessionEpochs } from './session-epochs.ts';
import { SessionManager, type ManagedSession } from './session-manager.ts';
import { createStartQueue } from './start-queue.ts';

/** Records what the manager asks of a session; state changes as a real session's would. */
class FakeSession implements ManagedSession {
  status: SessionStatus = 'STOPPED';
  active = false;
  calls: string[] = [];
  async start() {
    this.calls.push('start');
    this.active = true;
    this.status = 'WORKING';
  }
  async stop() {
    this.calls.push('stop');
    this.active = false;
    this.status = 'STOPPED';
  }
  async unlinkAndWipe(reason?: string) {
    this.calls.push('unlinkAndWipe');
    this.active = false;
    this.status = reason ? 'LOGGED_OUT' : 'STOPPED';
  }
  async sendText() {
    return { messageId: 'm', remoteJid: 'j', timestamp: 0 };
  }
}

let dir: string;
let db: Client;
let authStore: AuthStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kabar-manager-'));
  db = await openConnectorDb(`file:${join(dir, 'connector.db')}`);
  authStore = createAuthStore(db, Buffer.alloc(32, 3));
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function manager() {
  const sessions = new Map<string, FakeSession>();
  const queue = createStartQueue(2);
  const starts: Promise<unknown>[] = [];
  const m = new SessionManager({
    authStore,
    epochs: createSessionEpochs(db),
    startQueue: {
      run: (task) => {
        const run = queue.run(task);
        starts.push(run);
        return run;
      },
    },
    logger: pino({ level: 'silent' }),
    createSession: (id) => {
      const s = new FakeSession();
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
    ]);
    await settle();
    expect(sessions.get('run-1')?.calls).toEqual(['start']);
    expect(sessions.get('stop-1')?.calls).toEqual([]);
  });

  it('drops stored sessions that the welcome does not list, wiping their login', async () => {
    const { saveCreds } = await authStore.load('orphan');
    await saveCreds();
    const { m } = manager();
    await m.applyWelcome([]);
    expect(await authStore.listSessions()).not.toContain('orphan');
    expect(m.get('orphan')).toBeUndefined();
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
    await first.m.applyWelcome([{ sessionId: 'down', state: 'stopped', authEpoch: 4 }]);
    const second = manager();
    await second.m.applyWelcome([{ sessionId: 'down', state: 'stopped', authEpoch: 5 }]);
    // Reported LOGGED_OUT by the wipe, then STOPPED, as the desired state says.
    expect(second.sessions.get('down')?.calls).toEqual(['unlinkAndWipe', 'stop']);
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
    await m.applyDesired([{ sessionId: 'lo', state: 'running', authEpoch: 0 }]);
    await settle();
    expect(s.calls).toEqual(['start', 'stop', 'start']);
  });

  it('removes a session: unlinks it and forgets it', async () => {
    const { m, sessions, settle } = manager();
    await m.applyDesired([{ sessionId: 'rm', state: 'running', authEpoch: 0 }]);
    await settle();
    await m.remove(['rm']);
    expect(sessions.get('rm')?.calls).toEqual(['start', 'unlinkAndWipe']);
    expect(m.get('rm')).toBeUndefined();
  });
});
