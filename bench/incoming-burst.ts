// Incoming bursts (issue 20): simulator contacts send 1,000 texts to 10 linked sessions, paced at about
// 113 msg/s and as fast as the contacts can, and a webhook receiver on loopback records when each arrives;
// beside plain Baileys sockets receiving the same burst from the same simulator (handed to the application
// by messages.upsert). Reported: incoming -> webhook msg/s, latency contact send -> receiver p50/p99, the
// split from the database's own timestamps, and the connector's CPU per message (what stays on the VPS when
// the Worker runs on Cloudflare).
import { startWebhookReceiver } from '../testing/webhook-receiver.ts';
import { figure, type BenchSettings, type Figure } from './figure.ts';
import { RAW_PHONES, type Lab } from './lab.ts';
import { measureCpu, perMessage, workerdChildren } from './process-cpu.ts';
import { median, percentile } from './stats.ts';

export const INCOMING_STACK_VARS = { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' };

const SESSIONS = 10;
/** Contacts per session: a broadcast's answers come from many customers, each one Signal session. */
const CONTACTS_PER_SESSION = 10;
/** The issue's burst: 1,000 messages injected at about 113 msg/s. */
const PACED_PER_SECOND = 113;
const ARRIVAL_TIMEOUT_MS = 300_000;
const REFERENCE_TIMEOUT_MS = 120_000;

type Sent = { id: string; to: string; sentAt: number };
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** The webhook receiver: when each message id first arrived (epoch ms), and how many arrived twice. */
async function startReceiver() {
  const arrivals = new Map<string, number>();
  let duplicates = 0;
  const waiters = new Set<() => void>();
  const server = await startWebhookReceiver((hook) => {
    const at = Date.now();
    const messageId = (JSON.parse(hook.body) as { data?: { messageId?: string } }).data?.messageId;
    if (messageId) {
      if (arrivals.has(messageId)) duplicates++;
      else arrivals.set(messageId, at);
      // The test receiver keeps every request; a bench of thousands needs only the times.
      server.received.length = 0;
      for (const wake of waiters) wake();
    }
    return { status: 200 };
  });
  return {
    url: server.url,
    duplicates: () => duplicates,
    /** Once every id arrived: when each did, in the order of `ids`. */
    until(ids: string[], timeoutMs: number): Promise<number[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!ids.every((id) => arrivals.has(id))) return;
          done();
          resolve(ids.map((id) => arrivals.get(id)!));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`webhook: ${ids.filter((id) => arrivals.has(id)).length} of ${ids.length} messages arrived after ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: server.close,
  };
}

/** Round-robin over the sessions, each message from the next of that session's contacts. */
function burstPlan(phones: string[], contactPrefix: string, total: number) {
  return Array.from({ length: total }, (_, i) => {
    const session = i % phones.length;
    const contact = Math.floor(i / phones.length) % CONTACTS_PER_SESSION;
    return { from: `${contactPrefix}${String(session * CONTACTS_PER_SESSION + contact).padStart(4, '0')}`, to: phones[session]! };
  });
}

type BurstResult = { perSecond: number; p50: number; p99: number; injectedPerSecond: number };

function summarise(sent: Sent[], arrived: number[]): BurstResult {
  const latencies = sent.map((s, i) => arrived[i]! - s.sentAt);
  const first = Math.min(...sent.map((s) => s.sentAt));
  const lastSent = Math.max(...sent.map((s) => s.sentAt));
  return {
    perSecond: sent.length / ((Math.max(...arrived) - first) / 1_000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    injectedPerSecond: sent.length / (Math.max(1, lastSent - first) / 1_000),
  };
}

/**
 * The split from the database's own clocks: WhatsApp's timestamp (whole seconds, so up to a second early) ->
 * the event made by the connector (occurred_at) -> stored in Turso (events.created_at) -> the delivery log
 * row written after the receiver answered (webhook_deliveries.created_at).
 */
async function databaseSplit(lab: Lab, ids: string[]) {
  const rows: { wa: number; made: number; stored: number; delivered: number }[] = [];
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const { rows: found } = await lab.stack.db.execute({
      sql: `SELECT m.created_at AS wa, e.occurred_at AS made, e.created_at AS stored, min(d.created_at) AS delivered
              FROM messages m JOIN events e ON e.id = m.id JOIN webhook_deliveries d ON d.event_id = e.id AND d.outcome = 'delivered'
             WHERE m.direction = 'in' AND m.provider_message_id IN (${chunk.map(() => '?').join(',')}) GROUP BY m.id`,
      args: chunk,
    });
    for (const r of found) rows.push({ wa: Number(r.wa), made: Number(r.made), stored: Number(r.stored), delivered: Number(r.delivered) });
  }
  const span = (pick: (r: (typeof rows)[number]) => number) => {
    const values = rows.map(pick);
    return { p50: percentile(values, 50), p99: percentile(values, 99) };
  };
  return {
    rows: rows.length,
    waToStored: span((r) => r.stored - r.wa),
    waToMade: span((r) => r.made - r.wa),
    madeToStored: span((r) => r.stored - r.made),
    storedToDelivered: span((r) => r.delivered - r.stored),
  };
}

/**
 * Each side's CPU milliseconds per message by process (process-cpu.ts): the Worker's share is workerd's, the
 * bench process holds the webhook receiver and the local libSQL server. Compares across loaded runs better
 * than msg/s does.
 */
async function gatewayBurst(lab: Lab, receiver: Receiver, plan: { from: string; to: string }[], perSecond: number) {
  const processes = [{ name: 'connector', pid: lab.connector.pid }, { name: 'simulator', pid: lab.simulator.pid }, ...(await workerdChildren())];
  const { result, cpuMs: spent } = await measureCpu(processes, async () => {
    const sent = await lab.simulator.contactBurst(plan, perSecond);
    return { sent, arrived: await receiver.until(sent.map((s) => s.id), ARRIVAL_TIMEOUT_MS) };
  });
  const { sent, arrived } = result;
  const cpuMsPerMessage = perMessage(spent, sent.length);
  return { ...summarise(sent, arrived), connectorCpuMsPerMessage: cpuMsPerMessage.connector!, cpuMsPerMessage, split: await databaseSplit(lab, sent.map((s) => s.id)) };
}

async function rawBurst(lab: Lab, plan: { from: string; to: string }[], perSecond: number) {
  const processes = [{ name: 'baileys', pid: lab.raw.pid }, { name: 'simulator', pid: lab.simulator.pid }];
  const { result, cpuMs: spent } = await measureCpu(processes, async () => {
    const sent = await lab.simulator.contactBurst(plan, perSecond);
    return { sent, arrived: await lab.raw.untilReceived(sent.map((s) => s.id), REFERENCE_TIMEOUT_MS) };
  });
  return { ...summarise(result.sent, result.arrived), cpuMsPerMessage: perMessage(spent, result.sent.length) };
}

export async function incomingBurst(lab: Lab, settings: BenchSettings): Promise<Figure[]> {
  const receiver = await startReceiver();
  try {
    await lab.pairUpTo(SESSIONS);
    await lab.raw.linkUpTo(SESSIONS, RAW_PHONES);
    await lab.raw.watchIncoming();
    for (const { sessionId } of lab.sessions.slice(0, SESSIONS)) {
      const reply = await lab.http.call('PATCH', `/api/sessions/${sessionId}`, {
        headers: { authorization: `Bearer ${lab.stack.adminToken}` },
        body: { webhookUrl: `${receiver.url}/hooks/${sessionId}`, webhookEvents: ['message.received'] },
      });
      if (reply.status !== 200) throw new Error(`PATCH /api/sessions/${sessionId}: ${reply.status} ${reply.body}`);
    }
    const gatewayPhones = lab.sessions.slice(0, SESSIONS).map((s) => s.phone);
    const rawPhones = Array.from({ length: SESSIONS }, (_, i) => `${RAW_PHONES}${String(i).padStart(5, '0')}`);
    const total = settings.quick ? 500 : 1_000;
    const gatewayPlan = burstPlan(gatewayPhones, '62877100', total);
    const rawPlan = burstPlan(rawPhones, '62877200', total);
    // Warm-up, not measured: every contact's first message starts its Signal session (a pkmsg), and the
    // pipeline's code paths are loaded, on both sides.
    const warm = SESSIONS * CONTACTS_PER_SESSION;
    await receiver.until((await lab.simulator.contactBurst(gatewayPlan.slice(0, warm), 0)).map((s) => s.id), ARRIVAL_TIMEOUT_MS);
    // Plain Baileys sockets do not reconnect: one that dropped (a missed keep-alive on a loaded machine) leaves
    // its messages queued in the simulator. The gateway's figures stand without the reference then.
    let referenceUp = await lab.raw.untilReceived((await lab.simulator.contactBurst(rawPlan.slice(0, warm), 0)).map((s) => s.id), REFERENCE_TIMEOUT_MS).then(
      () => true,
      (error: Error) => (console.error(`  reference left out: ${error.message}`), false),
    );

    const runsOf = async (perSecond: number) => {
      const gateway: Awaited<ReturnType<typeof gatewayBurst>>[] = [];
      const raw: Awaited<ReturnType<typeof rawBurst>>[] = [];
      for (let run = 0; run < settings.runs; run++) {
        gateway.push(await gatewayBurst(lab, receiver, gatewayPlan, perSecond));
        if (!referenceUp) continue;
        const reference = await rawBurst(lab, rawPlan, perSecond).catch((error: Error) => (console.error(`  reference left out: ${error.message}`), null));
        if (reference) raw.push(reference);
        else referenceUp = false;
      }
      const label = perSecond > 0 ? `${perSecond} msg/s` : 'as fast as possible';
      console.error(
        `  ${label}: ${gateway.map((g) => `${g.perSecond.toFixed(0)} msg/s p50 ${g.p50.toFixed(0)} p99 ${g.p99.toFixed(0)} ms`).join('; ')}; reference ${raw.map((r) => `${r.perSecond.toFixed(0)} msg/s p99 ${r.p99.toFixed(0)} ms`).join('; ')}`,
      );
      const cpu = (byProcess: Record<string, number>) => Object.entries(byProcess).map(([name, ms]) => `${name} ${ms}`).join(', ');
      console.error(`    CPU ms per message: ${gateway.map((g) => cpu(g.cpuMsPerMessage)).join(' | ')}; reference ${raw.map((r) => cpu(r.cpuMsPerMessage)).join(' | ')}`);
      return { gateway, raw };
    };
    const paced = await runsOf(PACED_PER_SECOND);
    const flat = await runsOf(0);
    const med = <T>(list: T[], pick: (t: T) => number) => median(list.map(pick));
    const detail = (r: Awaited<ReturnType<typeof runsOf>>) => ({
      sessions: SESSIONS,
      contacts: SESSIONS * CONTACTS_PER_SESSION,
      messagesPerRun: total,
      runs: settings.runs,
      injectedPerSecond: { ours: med(r.gateway, (g) => g.injectedPerSecond), reference: med(r.raw, (g) => g.injectedPerSecond) },
      perSecond: { ours: r.gateway.map((g) => g.perSecond), reference: r.raw.map((g) => g.perSecond) },
      latencyMs: { ours: r.gateway.map((g) => ({ p50: g.p50, p99: g.p99 })), reference: r.raw.map((g) => ({ p50: g.p50, p99: g.p99 })) },
      databaseSplitMs: r.gateway.map((g) => g.split),
      connectorCpuMsPerMessage: r.gateway.map((g) => g.connectorCpuMsPerMessage),
      cpuMsPerMessageByProcess: { ours: r.gateway.map((g) => g.cpuMsPerMessage), reference: r.raw.map((g) => g.cpuMsPerMessage) },
      duplicatesAtReceiver: receiver.duplicates(),
    });
    const sustained = med(flat.gateway, (g) => g.perSecond);
    const reference = flat.raw.length ? med(flat.raw, (g) => g.perSecond) : null;
    const p99 = med(paced.gateway, (g) => g.p99);
    return [
      figure({
        name: `incoming -> webhook throughput, ${total} msgs over ${SESSIONS} sessions, as fast as contacts send`,
        unit: 'msg/s',
        ours: sustained,
        reference,
        referenceName: 'plain Baileys, messages.upsert handed to the app',
        target: '>= 200 msg/s (or >= 0.5x)',
        pass: sustained >= 200 || (reference !== null && sustained >= 0.5 * reference),
        detail: detail(flat),
      }),
      figure({
        name: `incoming -> webhook latency p50, ${PACED_PER_SECOND} msg/s burst`,
        unit: 'ms',
        ours: med(paced.gateway, (g) => g.p50),
        reference: paced.raw.length ? med(paced.raw, (g) => g.p50) : null,
        referenceName: 'plain Baileys, contact send -> messages.upsert',
        target: '-',
        pass: null,
      }),
      figure({
        name: `incoming -> webhook latency p99, ${PACED_PER_SECOND} msg/s burst`,
        unit: 'ms',
        ours: p99,
        reference: paced.raw.length ? med(paced.raw, (g) => g.p99) : null,
        referenceName: 'plain Baileys, contact send -> messages.upsert',
        target: '<= 2,000 ms',
        pass: p99 <= 2_000,
        detail: detail(paced),
      }),
      figure({
        name: 'connector CPU per incoming message (what stays on the VPS)',
        unit: 'ms',
        ours: med(flat.gateway, (g) => g.connectorCpuMsPerMessage),
        reference: null,
        referenceName: 'none',
        target: '-',
        pass: null,
        detail: { connectorOnlyCeilingPerCore: 1_000 / med(flat.gateway, (g) => g.connectorCpuMsPerMessage) },
      }),
    ];
  } finally {
    await receiver.close();
  }
}
