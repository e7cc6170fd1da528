// The restart drill: many linked sessions, the connector stopped with SIGTERM, contacts writing to every
// session while it is down, the connector started again. Every session must be WORKING again without a
// scan and every message must reach the webhook exactly once. 10 sessions here; `npm run bench` runs it
// with 100 (KABAR_DRILL_SESSIONS), which is too heavy for the suite on a shared 2-core machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../testing/eventually.ts';
import { startWebhookReceiver } from '../testing/webhook-receiver.ts';
import { connectorUp, newPhone, rawQr, rows, startSystem, status, type System } from './harness.ts';

const SESSIONS = Number(process.env.KABAR_DRILL_SESSIONS || 10);
/** Sessions paired at a time: the connector's start queue handles five handshakes at once. */
const PAIRING_BATCH = 5;
const MESSAGES_WHILE_DOWN = 2;

let system: System;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // The receiver is on loopback, which only a local deployment may call.
  system = await startSystem({ vars: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
});
afterAll(async () => {
  await system?.close();
  await receiver?.close();
});

type Linked = { sessionId: string; apiKey: string; phone: string };

async function link(): Promise<Linked> {
  const { api } = system;
  const phone = newPhone();
  const created = await api('POST', '/api/session/create', { admin: true, body: { webhookUrl: `${receiver.url}/drill` } });
  expect(created.status).toBe(201);
  const { sessionId, apiKey } = created.json as { sessionId: string; apiKey: string };
  // Under load (many sessions starting on shared cores) a new session's first QR and login can take a while.
  const qr = await rawQr(api, apiKey, 60_000);
  const connected = system.simulator.events.waitFor('device-connected', (d) => d.phone === phone, 60_000);
  await system.simulator.scan(qr, phone);
  await connected;
  return { sessionId, apiKey, phone };
}

/** message.received deliveries the webhook got, as "sessionId messageId". */
function deliveredMessages(): string[] {
  return receiver.received
    .map((hook) => JSON.parse(hook.body))
    .filter((envelope) => envelope.event === 'message.received')
    .map((envelope) => `${envelope.sessionId} ${envelope.data.messageId}`);
}

describe(`the restart drill with ${SESSIONS} linked sessions`, () => {
  it('brings every session back WORKING after a SIGTERM restart and delivers what was sent meanwhile once', async () => {
    const { api, simulator, stack, connector } = system;
    const linked: Linked[] = [];
    for (let i = 0; i < SESSIONS; i += PAIRING_BATCH) {
      linked.push(...(await Promise.all(Array.from({ length: Math.min(PAIRING_BATCH, SESSIONS - i) }, link))));
    }
    const working = () =>
      eventually(
        async () => {
          const statuses = await Promise.all(linked.map((session) => status(api, session.apiKey)));
          expect(statuses.filter((s) => s.status !== 'WORKING' || !s.connected)).toEqual([]);
        },
        { timeoutMs: 30_000 + SESSIONS * 1_000, intervalMs: 250 },
      );
    await working();

    const phones = new Set(linked.map((session) => session.phone));
    const offline = new Set<string>();
    const allOffline = new Promise<void>((resolve) => {
      const stop = simulator.events.on('device-disconnected', (d) => {
        if (phones.has(d.phone)) offline.add(d.phone);
        if (offline.size < phones.size) return;
        stop();
        resolve();
      });
    });
    const relinked: string[] = [];
    const stopWatchingLinks = simulator.events.on('device-linked', (d) => phones.has(d.phone) && relinked.push(d.phone));
    expect(await connector.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    await allOffline;

    const contact = newPhone();
    const sent: string[] = [];
    for (const session of linked) {
      for (let n = 0; n < MESSAGES_WHILE_DOWN; n++) {
        const { id } = await simulator.contactSend(contact, session.phone, `selagi mati ${n}`);
        sent.push(`${session.sessionId} ${id}`);
      }
    }
    await connectorUp(system);
    await working();

    await eventually(() => expect(deliveredMessages().sort()).toEqual([...sent].sort()), { timeoutMs: 30_000 + SESSIONS * 500, intervalMs: 250 });
    const ids = linked.map((session) => session.sessionId);
    const stored = await rows(
      stack,
      `SELECT session_id, provider_message_id FROM messages WHERE direction = 'in' AND session_id IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    expect(stored.map((row) => `${row.session_id} ${row.provider_message_id}`).sort()).toEqual([...sent].sort());
    stopWatchingLinks();
    // No session came back through a new scan: each logged in again with the login it had.
    expect(relinked).toEqual([]);
  }, 60_000 + SESSIONS * 6_000);
});
