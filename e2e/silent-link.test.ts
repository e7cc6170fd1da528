// A connector whose network goes silent without closing (a frozen VPS, a pulled cable, a NAT that forgot the
// flow): the real connector process reaches its hub through a TCP proxy that the test freezes, so neither
// end hears a FIN. The connector fences itself (its renewals go unanswered), its hub stops hearing renewals
// and drops the link, and the session comes back WORKING on the other connector from the shared store,
// without a scan, a double login or an unlink.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLibsqlServer, type LibsqlServer } from '../libsql-server/server.ts';
import { startSimulator, type Simulator } from '../simulator/server.ts';
import { quietSignalLogs } from '../simulator/signal-logs.ts';
import { apiOf, type Api } from '../testing/api.ts';
import { connectorProcess, type ConnectorProcess } from '../testing/connector-process.ts';
import { eventually } from '../testing/eventually.ts';
import { sample } from '../testing/prometheus-text.ts';
import { startStack, type Stack } from '../testing/stack.ts';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.ts';
import { newPhone, rawQr, rows, status, within } from './harness.ts';

const LEASE_SECONDS = 8;
/**
 * The bound held here, from the freeze to the session WORKING on the other connector: the lease (the hub
 * drops the link a lease after the last renewal it heard, at most a lease before the freeze), one alarm,
 * then one WhatsApp login on the new connector. Generous for a loaded machine.
 */
const MOVE_BOUND_MS = LEASE_SECONDS * 1000 + 30_000;

let stack: Stack;
let api: Api;
let simulator: Simulator;
let store: LibsqlServer;
let storeDir: string;
let proxy: TcpProxy;
let frozen: ConnectorProcess;
let live: ConnectorProcess;
let loud = () => {};
const replaced: string[] = [];
const unlinked: string[] = [];

beforeAll(async () => {
  loud = quietSignalLogs();
  storeDir = mkdtempSync(join(tmpdir(), 'kabar-silent-store-'));
  const storeToken = randomBytes(16).toString('hex');
  [stack, simulator, store] = await Promise.all([
    startStack({ CONNECTOR_LEASE_SECONDS: String(LEASE_SECONDS) }),
    startSimulator({ port: 0 }),
    startLibsqlServer({ file: join(storeDir, 'connectors.db'), authToken: storeToken }),
  ]);
  api = apiOf(stack);
  simulator.events.on('device-replaced', (d) => replaced.push(d.phone));
  simulator.events.on('device-unlinked', (d) => unlinked.push(d.phone));
  const hub = new URL(stack.url);
  proxy = await startTcpProxy({ host: hub.hostname, port: Number(hub.port) });
  const authStateKey = randomBytes(32).toString('hex');
  const shared = { CONNECTOR_DB_URL: store.url, CONNECTOR_DB_AUTH_TOKEN: storeToken, AUTH_STATE_KEY: authStateKey };
  const common = { connectorSecret: stack.connectorSecret, waWsUrl: simulator.wsUrl };
  frozen = connectorProcess({ ...common, hubUrl: `ws://127.0.0.1:${proxy.port}`, connectorId: 'edge-frozen', env: { ...shared, METRICS_PORT: '0' } });
  live = connectorProcess({ ...common, hubUrl: stack.hubUrl, connectorId: 'edge-live', env: shared });
  frozen.start();
  await frozen.waitForLog((l) => l.msg === 'hub link ready', { what: "'hub link ready'", timeoutMs: 120_000 });
}, 180_000);

afterAll(async () => {
  await Promise.all([frozen?.close(), live?.close()]);
  await proxy?.close();
  await simulator?.close();
  await stack?.close();
  await store?.close();
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
  loud();
});

describe('a connector whose link goes silent without closing', () => {
  it(`fences itself, and its session is WORKING on the live connector within ${MOVE_BOUND_MS} ms, moved only after the fence`, async () => {
    // The session is placed on the only connector attached: the one behind the proxy.
    const phone = newPhone();
    const created = await api('POST', '/api/session/create', { admin: true, body: {} });
    expect(created.status).toBe(201);
    const { sessionId, apiKey } = created.json as { sessionId: string; apiKey: string };
    const qr = await rawQr(api, apiKey, 60_000);
    await simulator.scan(qr, phone);
    await eventually(async () => expect(await status(api, apiKey)).toMatchObject({ status: 'WORKING', connected: true }), { timeoutMs: 60_000, intervalMs: 200 });
    expect((await rows(stack, 'SELECT connector_id FROM sessions WHERE id = ?', [sessionId]))[0]?.connector_id).toBe('edge-frozen');
    live.start();
    await live.waitForLog((l) => l.msg === 'hub link ready', { what: "'hub link ready'", timeoutMs: 120_000 });

    const metricsLine = await frozen.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('metrics on '), { what: 'the metrics address' });
    const disconnected = simulator.events.waitFor('device-disconnected', (d) => d.phone === phone, MOVE_BOUND_MS);
    const disconnectedAt = disconnected.then(() => Date.now());
    const connectedElsewhere = disconnected.then(() => simulator.events.waitFor('device-connected', (d) => d.phone === phone, MOVE_BOUND_MS));
    // Awaited below; a failure before then must not surface as an unhandled rejection as well.
    connectedElsewhere.catch(() => undefined);
    const mark = frozen.logs().length;
    proxy.freeze();

    // The connector's renewals go unanswered: it closes the WhatsApp socket itself and says why.
    await within(disconnected, MOVE_BOUND_MS, "the frozen connector's WhatsApp socket closing");
    await frozen.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('hub lease not renewed in time'), { from: mark, what: 'the fence' });
    await eventually(async () => {
      const text = await (await fetch(`http://127.0.0.1:${Number(metricsLine.port)}/metrics`)).text();
      expect(sample(text, 'kabar_connector_sessions{status="STOPPED",reason="LEASE_LOST"}')).toBe(1);
    });

    // The hub stops hearing renewals, drops the link, and the live connector takes the session.
    await eventually(async () => expect((await rows(stack, 'SELECT connector_id FROM sessions WHERE id = ?', [sessionId]))[0]?.connector_id).toBe('edge-live'), {
      timeoutMs: MOVE_BOUND_MS,
      intervalMs: 200,
    });
    await within(connectedElsewhere, MOVE_BOUND_MS, 'the session connecting on the live connector');
    await eventually(async () => expect(await status(api, apiKey)).toMatchObject({ status: 'WORKING', connected: true }), { timeoutMs: MOVE_BOUND_MS, intervalMs: 200 });

    // The move came after the fence: the hub logged when its check (which moved the session) began.
    const moveLine = stack.logs().find((l) => l.includes('leases of edge-frozen ran out'));
    const movedAt = Date.parse(/moved \d+ sessions at (\S+?Z)/.exec(moveLine ?? '')?.[1] ?? '');
    expect(movedAt).toBeGreaterThan(await disconnectedAt);
    expect(replaced).toEqual([]);
    expect(unlinked).toEqual([]);
    const directory = await rows(stack, "SELECT attached FROM connectors WHERE id = 'edge-frozen'");
    expect(directory[0]?.attached).toBe(0);
  }, 300_000);
});
