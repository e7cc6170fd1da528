// Failover with three connector processes on one shared connector store (the real libSQL server standing
// in for Turso): one is SIGKILLed, its sessions come back WORKING on the other two without a scan, what
// contacts sent meanwhile reaches the webhook once, and the killed one, back, leaves them alone. Failover
// never unlinks a phone and WhatsApp never sees two clients fight over a login.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLibsqlServer, type LibsqlServer } from '../libsql-server/server.ts';
import { startSimulator, type Simulator } from '../simulator/server.ts';
import { quietSignalLogs } from '../simulator/signal-logs.ts';
import { apiOf, type Api } from '../testing/api.ts';
import { connectorProcess, type ConnectorProcess } from '../testing/connector-process.ts';
import { eventually } from '../testing/eventually.ts';
import { startStack, type Stack } from '../testing/stack.ts';
import { startWebhookReceiver } from '../testing/webhook-receiver.ts';
import { newPhone, rawQr, rows, status } from './harness.ts';

/** Shorter for a test; production keeps the default 30 s. Long enough that a slow welcome on a loaded machine does not fence. */
const LEASE_SECONDS = 16;
/**
 * The bound this test holds failover to, from the kill to every moved session WORKING: the lease, the hub's
 * alarm firing at its end, then each session's login on its new connector. Generous for a loaded machine.
 */
/** `npm run bench` (BENCH_ONLY=failover) runs this file with 100 sessions and reads the time it took. */
const SESSIONS = Number(process.env.KABAR_FAILOVER_SESSIONS || 6);
/** Sessions paired at a time: a connector's start queue handles five handshakes at once. */
const PAIRING_BATCH = 5;
const FAILOVER_BOUND_MS = LEASE_SECONDS * 1000 + 20_000 + SESSIONS * 500;

let stack: Stack;
let api: Api;
let simulator: Simulator;
let store: LibsqlServer;
let storeDir: string;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const connectors: ConnectorProcess[] = [];
let loud = () => {};
const replaced: string[] = [];
const unlinked: string[] = [];
const linkedAgain: string[] = [];

type Linked = { sessionId: string; apiKey: string; phone: string };
const linked: Linked[] = [];

beforeAll(async () => {
  loud = quietSignalLogs();
  storeDir = mkdtempSync(join(tmpdir(), 'kabar-failover-store-'));
  const storeToken = randomBytes(16).toString('hex');
  [stack, simulator, store, receiver] = await Promise.all([
    startStack({ CONNECTOR_LEASE_SECONDS: String(LEASE_SECONDS), WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }),
    startSimulator({ port: 0 }),
    startLibsqlServer({ file: join(storeDir, 'connectors.db'), authToken: storeToken }),
    startWebhookReceiver(),
  ]);
  api = apiOf(stack);
  simulator.events.on('device-replaced', (d) => replaced.push(d.phone));
  simulator.events.on('device-unlinked', (d) => unlinked.push(d.phone));
  // Every login shares one store and one AUTH_STATE_KEY, as connectors on one Turso database do.
  const authStateKey = randomBytes(32).toString('hex');
  for (const id of ['edge-a', 'edge-b', 'edge-c']) {
    connectors.push(
      connectorProcess({
        hubUrl: stack.hubUrl,
        connectorSecret: stack.connectorSecret,
        waWsUrl: simulator.wsUrl,
        connectorId: id,
        env: { CONNECTOR_DB_URL: store.url, CONNECTOR_DB_AUTH_TOKEN: storeToken, AUTH_STATE_KEY: authStateKey },
      }),
    );
  }
  for (const connector of connectors) connector.start();
  await Promise.all(connectors.map((c) => c.waitForLog((l) => l.msg === 'hub link ready', { what: "'hub link ready'", timeoutMs: 120_000 })));
  // Sessions are placed on the least loaded attached connector: two each.
  try {
    for (let i = 0; i < SESSIONS; i += PAIRING_BATCH) {
      linked.push(...(await Promise.all(Array.from({ length: Math.min(PAIRING_BATCH, SESSIONS - i) }, link))));
    }
  } catch (e) {
    // What the hub and the connectors said, for a setup that did not come up.
    console.log('failover setup failed:', stack.logs().slice(-30).join('\n'), connectors.map((c) => c.logs().filter((l) => (l.level ?? 0) >= 40 || /hub/.test(String(l.msg))).slice(-10).map((l) => JSON.stringify(l)).join('\n')).join('\n---\n'));
    throw e;
  }
  simulator.events.on('device-linked', (d) => linked.some((s) => s.phone === d.phone) && linkedAgain.push(d.phone));
  await allWorking(60_000 + SESSIONS * 1_000);
}, 240_000 + SESSIONS * 6_000);

afterAll(async () => {
  await Promise.all(connectors.map((c) => c.close()));
  await simulator?.close();
  await receiver?.close();
  await stack?.close();
  await store?.close();
  rmSync(storeDir, { recursive: true, force: true });
  loud();
});

async function link(): Promise<Linked> {
  const phone = newPhone();
  const created = await api('POST', '/api/session/create', { admin: true, body: { webhookUrl: `${receiver.url}/failover` } });
  expect(created.status).toBe(201);
  const { sessionId, apiKey } = created.json as { sessionId: string; apiKey: string };
  const qr = await rawQr(api, apiKey, 60_000);
  const connected = simulator.events.waitFor('device-connected', (d) => d.phone === phone, 60_000);
  await simulator.scan(qr, phone);
  await connected;
  return { sessionId, apiKey, phone };
}

function allWorking(timeoutMs: number) {
  return eventually(
    async () => {
      const statuses = await Promise.all(linked.map(async (s) => ({ id: s.sessionId, ...(await status(api, s.apiKey)) })));
      expect(statuses.filter((s) => s.status !== 'WORKING' || !s.connected)).toEqual([]);
    },
    { timeoutMs, intervalMs: 200 },
  );
}

async function owners(): Promise<Map<string, string>> {
  const found = await rows(stack, 'SELECT id, connector_id FROM sessions');
  return new Map(found.map((r) => [String(r.id), String(r.connector_id)]));
}

/** message.received deliveries the webhook got, as "sessionId messageId". */
function delivered(): string[] {
  return receiver.received
    .map((hook) => JSON.parse(hook.body))
    .filter((envelope) => envelope.event === 'message.received')
    .map((envelope) => `${envelope.sessionId} ${envelope.data.messageId}`);
}

describe('failover across three connector processes', () => {
  it(`moves a SIGKILLed connector's sessions to the others, WORKING within ${FAILOVER_BOUND_MS} ms, delivering what was sent meanwhile once`, async () => {
    const before = await owners();
    // Placement spreads them (a loaded machine may already have moved some: any connector holding one will do).
    expect(new Set(before.values()).size).toBeGreaterThan(1);
    const victim = connectors.find((c) => c.connectorId === before.get(linked[0]!.sessionId))!;
    const moving = linked.filter((s) => before.get(s.sessionId) === victim.connectorId);
    expect(moving.length).toBeGreaterThan(0);

    const killedAt = Date.now();
    expect(await victim.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const contact = newPhone();
    const sent: string[] = [];
    for (const session of moving) {
      const { id } = await simulator.contactSend(contact, session.phone, 'sent while its connector was dead');
      sent.push(`${session.sessionId} ${id}`);
    }

    await eventually(
      async () => {
        const now = await owners();
        for (const session of moving) expect(['edge-b', 'edge-c']).toContain(now.get(session.sessionId));
      },
      { timeoutMs: FAILOVER_BOUND_MS, intervalMs: 200 },
    );
    await allWorking(FAILOVER_BOUND_MS - (Date.now() - killedAt));
    const tookMs = Date.now() - killedAt;
    expect(tookMs).toBeLessThan(FAILOVER_BOUND_MS);
    if (process.env.KABAR_FAILOVER_RESULT) writeFileSync(process.env.KABAR_FAILOVER_RESULT, JSON.stringify({ tookMs, moved: moving.length, leaseSeconds: LEASE_SECONDS }));

    await eventually(() => expect(delivered().filter((d) => sent.includes(d)).sort()).toEqual([...sent].sort()), { timeoutMs: 30_000, intervalMs: 200 });
    expect(linkedAgain).toEqual([]);
    expect(replaced).toEqual([]);
    expect(unlinked).toEqual([]);

    // The killed one comes back: it holds none of the moved logins any more and starts nothing.
    const mark = victim.logs().length;
    victim.start();
    await victim.waitForLog((l) => l.msg === 'hub link ready', { from: mark, what: "'hub link ready' after the restart", timeoutMs: 30_000 });
    const after = await owners();
    for (const session of moving) expect(after.get(session.sessionId)).not.toBe(victim.connectorId);
    const { id } = await simulator.contactSend(contact, moving[0]!.phone, 'after the old connector came back');
    await eventually(() => expect(delivered().filter((d) => d === `${moving[0]!.sessionId} ${id}`)).toHaveLength(1), { timeoutMs: 20_000, intervalMs: 200 });
    await allWorking(10_000);
    expect(victim.logs().slice(mark).filter((l) => typeof l.msg === 'string' && /session (moved here|start)/.test(l.msg))).toEqual([]);
    expect(replaced).toEqual([]);
    expect(unlinked).toEqual([]);
    expect(linkedAgain).toEqual([]);
    // Each message arrived once, across the whole run.
    expect(delivered().length).toBe(new Set(delivered()).size);
  }, 120_000 + SESSIONS * 2_000);
  it('drains a connector: every session moves to the others one at a time and is WORKING again, with nothing lost or unlinked', async () => {
    const before = await owners();
    const live = connectors.filter((c) => c.running).map((c) => c.connectorId);
    const drained = live.find((id) => [...before.values()].includes(id))!;
    const leaving = linked.filter((s) => before.get(s.sessionId) === drained);
    expect(leaving.length).toBeGreaterThan(0);
    const contact = newPhone();
    const sent: string[] = [];
    // Messages keep coming while the drain runs.
    const writing = (async () => {
      for (const session of leaving) {
        const { id } = await simulator.contactSend(contact, session.phone, 'sent during the drain');
        sent.push(`${session.sessionId} ${id}`);
      }
    })();
    const answer = await api('POST', `/api/connectors/${drained}/drain`, { admin: true });
    await writing;
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json.moved.map((m: { sessionId: string }) => m.sessionId).sort()).toEqual(leaving.map((s) => s.sessionId).sort());
    for (const m of answer.json.moved) {
      expect(m).toMatchObject({ from: drained, status: 'WORKING' });
      expect(m.to).not.toBe(drained);
    }
    const after = await owners();
    expect([...after.values()]).not.toContain(drained);
    await allWorking(20_000);
    await eventually(() => expect(delivered().filter((d) => sent.includes(d)).sort()).toEqual([...sent].sort()), { timeoutMs: 30_000, intervalMs: 200 });
    expect(delivered().length).toBe(new Set(delivered()).size);
    expect(replaced).toEqual([]);
    expect(unlinked).toEqual([]);
    expect(linkedAgain).toEqual([]);
  }, 180_000);

  it('refuses a bad move with a clear 4xx and changes nothing', async () => {
    const before = await owners();
    const session = linked[0]!;
    const bad = await api('POST', `/api/sessions/${session.sessionId}/move`, { admin: true, body: { connectorId: 'no spaces allowed' } });
    expect(bad.status).toBe(400);
    const extra = await api('POST', `/api/sessions/${session.sessionId}/move`, { admin: true, body: { connectorId: 'edge-a', force: true } });
    expect(extra.status).toBe(400);
    const unknown = await api('POST', '/api/sessions/no-such-session/move', { admin: true, body: { connectorId: 'edge-a' } });
    expect(unknown).toMatchObject({ status: 404, json: { code: 'SESSION_NOT_FOUND' } });
    const away = await api('POST', `/api/sessions/${session.sessionId}/move`, { admin: true, body: { connectorId: 'edge-nowhere' } });
    expect(away).toMatchObject({ status: 503, json: { code: 'CONNECTOR_OFFLINE' } });
    const keyed = await api('POST', `/api/connectors/edge-a/drain`, { key: session.apiKey });
    expect(keyed.status).toBe(403);
    expect(await owners()).toEqual(before);
  });
});
