// Group send (issue 17): a text to a 256-member group, timed from the request until every other member's
// simulator inbox has stored it. Ours: POST /api/messages with `to` the group, on a group created through
// POST /api/groups. Reference: plain Baileys' sendMessage to its own 256-member group on the same simulator.
// The first send is reported apart: Baileys fetches every member's devices and prekeys and opens a Signal
// session with each (a pkmsg per device carrying the sender key); later sends are one skmsg for all.
import { figure, type BenchSettings, type Figure } from './figure.ts';
import { RAW_PHONES, type Lab } from './lab.ts';
import { median, percentile } from './stats.ts';

const SIZE = 256;
const MEMBERS = SIZE - 1;
const GATEWAY_MEMBERS = '62899100';
const RAW_MEMBERS = '62899200';
const DELIVERY_TIMEOUT_MS = 120_000;

const members = (prefix: string) => Array.from({ length: MEMBERS }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);

type Side = {
  /** Sends `text` to the group; the message id once the sender has it accepted. */
  send(text: string): Promise<string>;
};

/** ms from the send until all MEMBERS stored it. */
async function timedSend(lab: Lab, side: Side, text: string): Promise<number> {
  const start = performance.now();
  const id = await side.send(text);
  await lab.simulator.untilCopies(id, MEMBERS, DELIVERY_TIMEOUT_MS);
  return performance.now() - start;
}

type Run = { p50: number; p99: number; perSecond: number };

/** `count` sends one after another (each waits for the last member): latency percentiles and the rate. */
async function steadyRun(lab: Lab, side: Side, count: number, label: string): Promise<Run> {
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) latencies.push(await timedSend(lab, side, `${label} ${i}`));
  const perSecond = count / ((performance.now() - start) / 1_000);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond };
}

async function gatewaySide(lab: Lab): Promise<Side> {
  await lab.pairUpTo(1);
  const headers = { 'x-api-key': lab.sessions[0]!.apiKey };
  const created = await lab.http.call('POST', '/api/groups', { headers, body: { subject: 'Bench 256', participants: members(GATEWAY_MEMBERS) } });
  if (created.status !== 201) throw new Error(`POST /api/groups: ${created.status} ${created.body}`);
  const group = JSON.parse(created.body).group as { id: string; size: number };
  if (group.size !== SIZE) throw new Error(`the gateway's group has ${group.size} members, not ${SIZE}`);
  return {
    async send(text) {
      const reply = await lab.http.call('POST', '/api/messages', { headers, body: { to: group.id, type: 'text', text: { body: text } } });
      if (reply.status !== 200) throw new Error(`POST /api/messages: ${reply.status} ${reply.body}`);
      return JSON.parse(reply.body).result.key.id as string;
    },
  };
}

async function rawSide(lab: Lab): Promise<Side> {
  await lab.raw.linkUpTo(1, RAW_PHONES);
  const groupId = await lab.raw.createGroup('Bench 256', members(RAW_MEMBERS));
  return { send: (text) => lab.raw.sendGroupText(groupId, text) };
}

export async function groupSend(lab: Lab, settings: BenchSettings): Promise<Figure[]> {
  const ours = await gatewaySide(lab);
  const reference = await rawSide(lab);
  const first = { ours: await timedSend(lab, ours, 'first'), reference: await timedSend(lab, reference, 'first') };
  console.error(`  first send to ${SIZE}: ${first.ours.toFixed(0)} ms; reference ${first.reference.toFixed(0)} ms`);
  const count = settings.quick ? 20 : 50;
  const runs: Run[] = [];
  const references: Run[] = [];
  for (let run = 0; run < settings.runs; run++) {
    runs.push(await steadyRun(lab, ours, count, `steady ${run}`));
    references.push(await steadyRun(lab, reference, count, `steady ${run}`));
  }
  console.error(`  steady: ${runs.map((r) => r.perSecond.toFixed(1)).join(', ')} msg/s; reference ${references.map((r) => r.perSecond.toFixed(1)).join(', ')}`);
  const referenceName = `plain Baileys sendMessage, its own ${SIZE}-member group`;
  const detail = { members: SIZE, sendsPerRun: count, runs: settings.runs, perRun: { ours: runs, reference: references } };
  const steady = (name: string, unit: string, pick: (r: Run) => number) =>
    figure({ name, unit, ours: median(runs.map(pick)), reference: median(references.map(pick)), referenceName, target: '-', pass: null, detail });
  return [
    figure({
      name: `group send, first to ${SIZE} members (Signal sessions set up)`,
      unit: 'ms',
      ours: first.ours,
      reference: first.reference,
      referenceName,
      target: '-',
      pass: null,
      detail: { members: SIZE, until: 'every member stored it' },
    }),
    steady(`group send p50, ${SIZE} members`, 'ms', (r) => r.p50),
    steady(`group send p99, ${SIZE} members`, 'ms', (r) => r.p99),
    steady(`group send rate, ${SIZE} members, one at a time`, 'msg/s', (r) => r.perSecond),
  ];
}
