// Durable Object invocations per operation (issue 18's scale proxy): how many times a send, a status read
// and an incoming event reach a Hub or a KeyGate, counted by workerd's own traces (bench/do-tail), with 1
// and 2 connectors and 1 to 20 sessions. Each operation's count must not grow with connectors or sessions:
// the reference of every row is the same operation on 1 connector and 1 session, so the ratio is the growth.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startWebhookReceiver } from '../testing/webhook-receiver.ts';
import { startConnectorProcess, type ConnectorProcess } from './connector-process.ts';
import { byEntrypoint, countsSince, readInvocations, type Invocations } from './do-tail/invocations.ts';
import { figure, type BenchSettings, type Figure } from './figure.ts';
import { RECIPIENT, type GatewaySession, type Lab } from './lab.ts';

/** The operations counted; each runs `n` times one after another, so no result frame carries two sends. */
const OPERATIONS = ['POST /api/send', 'POST /api/messages', 'POST /api/sessions/{id}/messages (admin token)', 'GET /api/session/status', 'incoming message -> webhook'] as const;
type Operation = (typeof OPERATIONS)[number];
type Row = { setup: string; operation: Operation; n: number; perOperation: number; byClass: Record<string, number>; byKind: Record<string, number>; windowMs: number };

/** Counts stop changing: traces arrive after their invocation ends, and acks of a send come later still. */
async function settled(lab: Lab): Promise<Invocations> {
  let last = await readInvocations(lab.stack.url);
  for (let tries = 0; tries < 60; tries++) {
    await sleep(500);
    const now = await readInvocations(lab.stack.url);
    if (JSON.stringify(now.counts) === JSON.stringify(last.counts)) return now;
    last = now;
  }
  throw new Error('invocation counts did not settle in 30 s');
}

async function counted(lab: Lab, setup: string, operation: Operation, n: number, run: () => Promise<void>): Promise<Row> {
  const before = await settled(lab);
  const start = performance.now();
  await run();
  const after = await settled(lab);
  const byKind = countsSince(before, after);
  const byClass = Object.fromEntries(Object.entries(byEntrypoint(byKind)).map(([k, v]) => [k, v / n]));
  const perOperation = (byClass.Hub ?? 0) + (byClass.KeyGate ?? 0);
  return { setup, operation, n, perOperation, byClass, byKind, windowMs: Math.round(performance.now() - start) };
}

/** `credential`: a session's API key, or `Bearer <admin token>`. */
async function expectOk(lab: Lab, method: string, path: string, credential: string, body?: unknown) {
  const headers: Record<string, string> = credential.startsWith('Bearer ') ? { authorization: credential } : { 'x-api-key': credential };
  const reply = await lab.http.call(method, path, { headers, ...(body === undefined ? {} : { body }) });
  if (reply.status !== 200) throw new Error(`${method} ${path}: ${reply.status} ${reply.body.slice(0, 200)}`);
}

const setupOf = (connectors: number, sessions: number) => `${connectors} connector${connectors > 1 ? 's' : ''}, ${sessions} session${sessions > 1 ? 's' : ''}`;

async function measure(lab: Lab, label: string, sessions: GatewaySession[], n: number, receiver: Awaited<ReturnType<typeof startWebhookReceiver>>): Promise<Row[]> {
  const each = async (run: (session: GatewaySession, i: number) => Promise<void>) => {
    for (let i = 0; i < n; i++) await run(sessions[i % sessions.length]!, i);
  };
  // workerd evicts an idle gate, and a gate that lost its cached record asks its client address's gate too
  // (one more KeyGate call, counted on its own below): every key is used just before each count.
  const wake = () => Promise.all(sessions.map((s) => expectOk(lab, 'GET', '/api/session/status', s.apiKey)));
  const rows = [
    await wake().then(() => counted(lab, label, 'POST /api/send', n, () => each((s, i) => expectOk(lab, 'POST', '/api/send', s.apiKey, { to: RECIPIENT, message: `counted ${i}` })))),
    await wake().then(() => counted(lab, label, 'POST /api/messages', n, () =>
      each((s, i) => expectOk(lab, 'POST', '/api/messages', s.apiKey, { to: RECIPIENT, type: 'text', text: { body: `counted ${i}` } })),
    )),
    await counted(lab, label, 'POST /api/sessions/{id}/messages (admin token)', n, () =>
      each((s, i) => expectOk(lab, 'POST', `/api/sessions/${s.sessionId}/messages`, `Bearer ${lab.stack.adminToken}`, { to: RECIPIENT, type: 'text', text: { body: `admin ${i}` } })),
    ),
    await wake().then(() => counted(lab, label, 'GET /api/session/status', n, () => each((s) => expectOk(lab, 'GET', '/api/session/status', s.apiKey)))),
    await counted(lab, label, 'incoming message -> webhook', n, async () => {
      const plan = Array.from({ length: n }, (_, i) => ({ from: `62877300${String(i % 10).padStart(4, '0')}`, to: sessions[i % sessions.length]!.phone }));
      const sent = await lab.simulator.contactBurst(plan, 0);
      await Promise.all(sent.map(({ id }) => receiver.next((hook) => hook.body.includes(id))));
    }),
  ];
  for (const row of rows) console.error(`  ${label}, ${row.operation}: ${row.perOperation.toFixed(2)} DO calls each ${JSON.stringify(row.byClass)}`);
  return rows;
}

async function untilAttached(lab: Lab, connectorId: string): Promise<void> {
  for (let tries = 0; tries < 240; tries++) {
    const reply = await lab.http.call('GET', '/api/connectors', { headers: { authorization: `Bearer ${lab.stack.adminToken}` } });
    const connectors = (JSON.parse(reply.body) as { connectors?: { connectorId: string; attached: boolean }[] }).connectors ?? [];
    if (connectors.some((c) => c.connectorId === connectorId && c.attached)) return;
    await sleep(250);
  }
  throw new Error(`connector ${connectorId} did not attach`);
}

/** Sessions' connector, from the directory, to pick one per connector. */
async function connectorOf(lab: Lab, sessionId: string): Promise<string> {
  const { rows } = await lab.stack.db.execute({ sql: 'SELECT connector_id FROM sessions WHERE id = ?', args: [sessionId] });
  return String(rows[0]?.connector_id);
}

export async function doInvocations(lab: Lab, settings: BenchSettings): Promise<Figure[]> {
  const n = settings.quick ? 20 : 60;
  const receiver = await startWebhookReceiver();
  const dir = await mkdtemp(join(tmpdir(), 'kabar-bench-second-connector-'));
  let second: ConnectorProcess | undefined;
  const hook = async (session: GatewaySession) => {
    const reply = await lab.http.call('PATCH', `/api/sessions/${session.sessionId}`, {
      headers: { authorization: `Bearer ${lab.stack.adminToken}` },
      body: { webhookUrl: `${receiver.url}/hooks/${session.sessionId}`, webhookEvents: ['message.received'] },
    });
    if (reply.status !== 200) throw new Error(`PATCH /api/sessions/${session.sessionId}: ${reply.status} ${reply.body}`);
  };
  // Every key and every contact used once before counting: a key's first request also asks its address's
  // gate, and a contact's first message opens its Signal session. Those are counted apart, once per key.
  const warm = async (sessions: GatewaySession[]) => {
    for (const s of sessions) await hook(s);
    await measure(lab, 'warm-up', sessions, sessions.length, receiver);
  };
  try {
    const rows: Row[] = [];
    await lab.pairUpTo(1);
    await warm(lab.sessions.slice(0, 1));
    rows.push(...(await measure(lab, setupOf(1, 1), lab.sessions.slice(0, 1), n, receiver)));
    await lab.pairUpTo(10);
    await warm(lab.sessions.slice(1, 10));
    rows.push(...(await measure(lab, setupOf(1, 10), lab.sessions.slice(0, 10), n, receiver)));

    second = startConnectorProcess({ hubUrl: lab.stack.hubUrl, secret: lab.stack.connectorSecret, waWsUrl: lab.simulator.wsUrl, dbFile: join(dir, 'connector.db'), id: 'bench-2' });
    await untilAttached(lab, 'bench-2');
    // Placement by load puts every new session on the empty connector.
    await lab.pairUpTo(20);
    await warm(lab.sessions.slice(10, 20));
    const placed = await Promise.all(lab.sessions.map((s) => connectorOf(lab, s.sessionId)));
    const onSecond = lab.sessions.filter((_, i) => placed[i] === 'bench-2');
    if (onSecond.length === 0) throw new Error(`no session was placed on the second connector: ${placed.join(', ')}`);
    rows.push(...(await measure(lab, setupOf(2, 2), [lab.sessions[0]!, onSecond[0]!], n, receiver)));
    rows.push(...(await measure(lab, setupOf(2, 20), lab.sessions.slice(0, 20), n, receiver)));

    // A gate evicted for idleness, as workerd (and Cloudflare) do: its next request loads the key's record again.
    const coldKey = lab.sessions[0]!.apiKey;
    // The gate's name is the key's SHA-256 in hex (worker/services/api-keys.ts hashApiKey).
    await lab.stack.worker.evictDurableObject('KeyGate', { name: createHash('sha256').update(coldKey).digest('hex') });
    const cold = await counted(lab, 'evicted gate', 'GET /api/session/status', 1, () => expectOk(lab, 'GET', '/api/session/status', coldKey));
    const baseline = (operation: Operation) => rows.find((r) => r.operation === operation)!.perOperation;
    const figures = rows.map((row) =>
      figure({
        name: `DO invocations per ${row.operation}, ${row.setup}`,
        unit: 'calls',
        ours: row.perOperation,
        reference: baseline(row.operation),
        referenceName: 'the same, 1 connector and 1 session',
        target: 'no growth with connectors or sessions',
        // Counts of a few calls each: a tenth of a call of drift (a late ack, an alarm) is not growth.
        pass: row.perOperation <= baseline(row.operation) + 0.1,
        detail: { perOperationByClass: row.byClass, totalsByKind: row.byKind, operations: row.n, windowMs: row.windowMs, placed: row.setup },
      }),
    );
    figures.push(
      figure({
        name: 'DO invocations per GET /api/session/status whose key gate was evicted (idle)',
        unit: 'calls',
        ours: cold.perOperation,
        reference: null,
        referenceName: 'none',
        target: '-',
        pass: null,
        detail: { byKind: cold.byKind },
      }),
    );
    return figures;
  } finally {
    await second?.stop();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
}
