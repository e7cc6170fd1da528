// Load driver for the local libSQL server alone (not part of `npm run bench`): replays the shape of the
// Worker's database traffic during sends, through the real @libsql/client/web and drizzle with the real schema
// and event storage, against the server in its own process, and reports requests/s and that process's CPU ms
// per request. Per message, as traced from `BENCH_ONLY=send`: two routing lookups (`execute` + `close`, no
// baton), and a share of the hub's event groups (`storeEvents`: a lookup, then `store_sql`s and one batch
// in a transaction); every INTERACTIVE_EVERY-th message one interactive transaction (a stream kept by batons).
//
//   node bench/libsql-server-load.ts                       LOAD_MESSAGES=2000 LOAD_CLIENTS=16 LOAD_SESSIONS=100 LOAD_GROUP=8
//   LOAD_CPU_PROF=/tmp/prof node bench/libsql-server-load.ts   then: node bench/profile-summary.ts /tmp/prof/*.cpuprofile
//   LOAD_SERVER_MAIN=/tmp/old/libsql-server/main.ts node bench/libsql-server-load.ts   (git archive <commit> libsql-server)
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client/web';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/libsql/web';
import * as schema from '../shared/db/schema.ts';
import { migrateDatabase } from '../scripts/migrate-database.ts';
import { type ReceivedEvent, storeEvents } from '../worker/hub/event-store.ts';
import { measureCpu } from './process-cpu.ts';

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const MESSAGES = number('LOAD_MESSAGES', 2000);
const CLIENTS = number('LOAD_CLIENTS', 16);
const SESSIONS = number('LOAD_SESSIONS', 100);
/** Messages whose events the hub stores in one group (the trace had groups of 2 to 25 events). */
const GROUP = number('LOAD_GROUP', 8);
const INTERACTIVE_EVERY = number('LOAD_INTERACTIVE_EVERY', 20);
const CONNECTOR = 'load-connector';

async function startServer(file: string, authToken: string): Promise<{ url: string; child: ChildProcess }> {
  const profile = process.env.LOAD_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.LOAD_CPU_PROF] : [];
  // LOAD_SERVER_MAIN: another build of main.ts (say, a checkout of an older commit) to compare with.
  const main = process.env.LOAD_SERVER_MAIN ?? new URL('../libsql-server/main.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [...profile, main], {
    env: { ...process.env, LIBSQL_FILE: file, LIBSQL_PORT: '0', LIBSQL_AUTH_TOKEN: authToken },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /libsql-server: (http:\/\/\S+)/.exec(out);
      if (found) resolve(found[1]!);
    });
    child.once('exit', (code) => reject(new Error(`libsql-server exited with ${code}`)));
  });
  return { url, child };
}

/** A process's user and system CPU ms so far (/proc, USER_HZ 100): commits' fsyncs show as system time. */
async function userAndSystemMs(pid: number): Promise<[number, number]> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[11]) * 10, Number(fields[12]) * 10];
}

function sendEvents(sessionId: string, to: string, at: number): ReceivedEvent[] {
  const messageId = `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;
  const base = { to, timestamp: at };
  return [
    { id: randomUUID(), sessionId, at, connectorId: CONNECTOR, event: { name: 'message.sent', messageId, text: 'load', source: 'api', ...base } },
    { id: `sts-${randomBytes(20).toString('hex')}`, sessionId, at, connectorId: CONNECTOR, event: { name: 'message.status', messageId, status: 'sent', ...base } },
    { id: `sts-${randomBytes(20).toString('hex')}`, sessionId, at: at + 1, connectorId: CONNECTOR, event: { name: 'message.status', messageId, status: 'delivered', ...base } },
  ] as ReceivedEvent[];
}

const dir = await mkdtemp(join(tmpdir(), 'libsql-load-'));
const authToken = randomBytes(16).toString('hex');
const { url, child } = await startServer(join(dir, 'load.db'), authToken);
let requests = 0;
const counted: typeof fetch = (input, init) => {
  requests++;
  return fetch(input, init);
};
try {
  await migrateDatabase(url, authToken);
  const makeDb = () => drizzle(createClient({ url, authToken, fetch: counted }), { schema });
  const setup = makeDb();
  const ids = Array.from({ length: SESSIONS }, (_, i) => `load-${i}`);
  await setup.insert(schema.sessions).values(ids.map((id) => ({ id, connectorId: CONNECTOR, status: 'WORKING' })));

  let next = 0;
  const worker = async () => {
    const db = makeDb();
    while (next < MESSAGES) {
      const start = next;
      next += GROUP;
      const group: ReceivedEvent[] = [];
      for (let m = start; m < Math.min(start + GROUP, MESSAGES); m++) {
        const sessionId = ids[m % ids.length]!;
        for (let lookup = 0; lookup < 2; lookup++) {
          await db.select({ connectorId: schema.sessions.connectorId }).from(schema.sessions).where(eq(schema.sessions.id, sessionId));
        }
        if (m % INTERACTIVE_EVERY === 0) {
          const tx = await db.$client.transaction('write');
          await tx.execute({ sql: 'SELECT auth_epoch FROM sessions WHERE id = ?', args: [sessionId] });
          await tx.execute({ sql: 'UPDATE sessions SET updated_at = ? WHERE id = ?', args: [Date.now(), sessionId] });
          await tx.commit();
        }
        group.push(...sendEvents(sessionId, `62899${String(m).padStart(8, '0')}`, Date.now()));
      }
      await storeEvents(db, group);
    }
  };
  requests = 0;
  const [userBefore, systemBefore] = await userAndSystemMs(child.pid!);
  const started = performance.now();
  const { cpuMs } = await measureCpu([{ name: 'server', pid: child.pid! }], () => Promise.all(Array.from({ length: CLIENTS }, worker)));
  const seconds = (performance.now() - started) / 1000;
  const [userAfter, systemAfter] = await userAndSystemMs(child.pid!);
  const stored = (await setup.select({ n: sql<number>`count(*)` }).from(schema.events))[0]!.n;
  if (stored !== MESSAGES * 3) throw new Error(`stored ${stored} events, expected ${MESSAGES * 3}`);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  console.log(JSON.stringify({
    messages: MESSAGES, clients: CLIENTS, sessions: SESSIONS, group: GROUP, requests, seconds: round(seconds),
    requestsPerSecond: Math.round(requests / seconds),
    serverCpuMsPerRequest: round(cpuMs.server! / requests),
    serverUserMsPerRequest: round((userAfter - userBefore) / requests),
    serverSystemMsPerRequest: round((systemAfter - systemBefore) / requests),
    serverCpuMsPerMessage: round(cpuMs.server! / MESSAGES),
    driverCpuMsPerRequest: round(cpuMs.bench! / requests),
  }));
} finally {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  await rm(dir, { recursive: true, force: true });
}
