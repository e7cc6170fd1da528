// Diagnostic, not part of the suite: N linked gateway sessions each fire PER concurrent `POST /api/send` to a
// contact none has messaged yet, then a second burst; prints the failed sends per session and the connector's
// last log lines. Before the libsignal patch (connector/patches) most first sends failed "All encryptions
// failed"; bench/first-sends-raw.ts does the same with plain Baileys sockets.
//   BENCH_CONNECTOR_LOG_LEVEL=warn N=20 PER=8 node_modules/.bin/node bench/first-sends.ts
import { RECIPIENT, startLab } from './lab.ts';
import { runPool } from './pool.ts';

const SESSIONS = Number(process.env.N ?? 20);
const PER = Number(process.env.PER ?? 8);

const lab = await startLab();
try {
  await lab.pairUpTo(SESSIONS, 10);
  const burst = async (inFlight: number) => {
    const failedBySession = new Map<number, number>();
    const send = async (i: number) => {
      const session = i % SESSIONS;
      const reply = await lab.http.call('POST', '/api/send', { headers: { 'x-api-key': lab.sessions[session]!.apiKey }, body: { to: RECIPIENT, message: `first ${i}` } });
      if (reply.status !== 200) failedBySession.set(session, (failedBySession.get(session) ?? 0) + 1);
    };
    await runPool(Array.from({ length: SESSIONS * PER }, (_, i) => i), inFlight, send);
    return failedBySession;
  };
  const report = (what: string, failed: Map<number, number>) =>
    console.log(`${what}: ${[...failed.values()].reduce((a, b) => a + b, 0)} of ${SESSIONS * PER} failed`, Object.fromEntries(failed));
  report('first burst', await burst(SESSIONS * PER));
  report('second burst', await burst(64));
  console.log(lab.connector.output().slice(-6000));
} finally {
  await lab.close();
}
