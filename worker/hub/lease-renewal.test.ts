import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { eventually } from '../../testing/eventually.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';

// A lease is renewed on evidence, never assumed from the directory: a connector holds it only while its hub
// answers its renewals, having written each to Turso. A socket that goes silent without closing, or a row
// left `attached` by a hub that was lost, lapses like a closed link; a connector that keeps renewing keeps
// its sessions however many leases pass. Connectors are played frame by frame (testing/scripted-connector.ts).
const LEASE_MS = 2_000;
/**
 * The bounds held here, generous for a loaded machine. A silent socket: its hub closes it a lease after the
 * last renewal it heard and moves the sessions in the same alarm; then the handover. A row whose hub is gone:
 * the lease's end, plus up to a lease until a live hub looks (each looks once a lease), plus the handover.
 */
const SILENT_BOUND_MS = LEASE_MS + 10_000;
const ORPHAN_BOUND_MS = 2 * LEASE_MS + 10_000;

let stack: Stack;
let api: Api;
const opened: ScriptedConnector[] = [];

beforeAll(async () => {
  stack = await startStack({ CONNECTOR_LEASE_SECONDS: String(LEASE_MS / 1000) });
  api = apiOf(stack);
});
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await stack?.close();
});

async function connect(connectorId: string, instance?: string) {
  const connected = await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId, ...(instance ? { instance } : {}) });
  opened.push(connected.script);
  return connected;
}

async function ownerOf(sessionId: string): Promise<string> {
  const row = await stack.db.execute({ sql: 'SELECT connector_id FROM sessions WHERE id = ?', args: [sessionId] });
  return String(row.rows[0]?.[0]);
}

async function directoryRow(connectorId: string) {
  const row = await stack.db.execute({ sql: 'SELECT attached, draining, lease_expires_at, lease_epoch FROM connectors WHERE id = ?', args: [connectorId] });
  const r = row.rows[0]!;
  return { attached: Number(r[0]), draining: Number(r[1]), leaseExpiresAt: Number(r[2]), leaseEpoch: Number(r[3]) };
}

let live: ScriptedConnector;
const ofLive: string[] = [];

describe('leases renewed on evidence', () => {
  it('gives the sessions of a connector whose socket went silent without closing to the live connector, and records it as left', async () => {
    const frozen = (await connect('ls-frozen')).script;
    live = (await connect('ls-live')).script;
    const sessions = [(await createSession(api)).sessionId, (await createSession(api)).sessionId];
    const owners = await Promise.all(sessions.map(ownerOf));
    expect([...owners].sort()).toEqual(['ls-frozen', 'ls-live']);
    const silenced = sessions[owners.indexOf('ls-frozen')]!;
    ofLive.push(...sessions.filter((id) => id !== silenced));

    // No close frame, no FIN: as far as its hub can tell the socket is still attached.
    frozen.freeze();
    const given = await Promise.race([
      live.next('desired', (f) => f.sessions.some((s) => s.sessionId === silenced)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not moved within ${SILENT_BOUND_MS} ms`)), SILENT_BOUND_MS).unref()),
    ]);
    expect(given.sessions.map((s) => s.sessionId)).toContain(silenced);
    expect(await ownerOf(silenced)).toBe('ls-live');
    ofLive.push(silenced);
    expect((await directoryRow('ls-frozen')).attached).toBe(0);
  }, 30_000);

  it('moves the sessions of a connector whose row a lost hub left attached, once its lease ran out', async () => {
    // Its hub was lost (reset, deploy, a failed close handler) without recording the close: only the row remains.
    const { sessionId } = await createSession(api);
    await stack.db.execute({ sql: "INSERT INTO connectors (id, attached, lease_expires_at, lease_epoch) VALUES ('ls-orphan', 1, ?, 1)", args: [Date.now() - 1] });
    await stack.db.execute({ sql: "UPDATE sessions SET connector_id = 'ls-orphan' WHERE id = ?", args: [sessionId] });

    await eventually(async () => expect(await ownerOf(sessionId)).toBe('ls-live'), { timeoutMs: ORPHAN_BOUND_MS, intervalMs: 100 });
    await live.next('desired', (f) => f.sessions.some((s) => s.sessionId === sessionId));
    ofLive.push(sessionId);
    expect((await directoryRow('ls-orphan')).attached).toBe(0);
  }, 30_000);

  it('keeps the sessions of a connector that renews across many leases, its lease in Turso moving ahead', async () => {
    const before = await directoryRow('ls-live');
    // Twelve renewals: three leases, each with every live hub's check of the directory in it.
    for (let i = 0; i < 12; i++) await live.next('renewed');
    const after = await directoryRow('ls-live');
    expect(after.leaseExpiresAt).toBeGreaterThan(before.leaseExpiresAt + 2 * LEASE_MS);
    expect(after).toMatchObject({ attached: 1, leaseEpoch: before.leaseEpoch });
    for (const id of ofLive) expect(await ownerOf(id)).toBe('ls-live');
  }, 30_000);

  it('closes with 4005, without answering, a renewal of a lease that is no longer this link’s', async () => {
    const { script } = await connect('ls-taken');
    await script.next('renewed');
    // A checker took the lease (or a newer welcome did): the epoch moved on.
    await stack.db.execute("UPDATE connectors SET lease_epoch = lease_epoch + 1 WHERE id = 'ls-taken'");
    expect((await script.closed).code).toBe(CloseCode.leaseLost);
  }, 30_000);

  it('keeps a connector draining when the same process says hello again, and ends the drain for a new process', async () => {
    const first = await connect('ls-drain');
    const drained = await api('POST', '/api/connectors/ls-drain/drain', { admin: true });
    expect(drained.status, JSON.stringify(drained.json)).toBe(200);
    expect((await directoryRow('ls-drain')).draining).toBe(1);

    // A network blip: the same process dials again while its drain runs.
    await connect('ls-drain', first.instance);
    expect((await first.script.closed).code).toBe(CloseCode.replaced);
    expect((await directoryRow('ls-drain')).draining).toBe(1);
    // It is the least loaded connector, yet drained: a new session goes elsewhere.
    expect(await ownerOf((await createSession(api)).sessionId)).not.toBe('ls-drain');

    // Restarted after its maintenance: a new process takes sessions again.
    await connect('ls-drain');
    expect((await directoryRow('ls-drain')).draining).toBe(0);
    expect(await ownerOf((await createSession(api)).sessionId)).toBe('ls-drain');
  }, 30_000);
});
