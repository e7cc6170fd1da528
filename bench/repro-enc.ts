import { RECIPIENT, startLab } from './lab.ts';
import { runPool } from './pool.ts';
const SESSIONS = Number(process.env.N ?? 20);
const PER = Number(process.env.PER ?? 8);
const lab = await startLab();
try {
  await lab.pairUpTo(SESSIONS, 10);
  let failed = 0;
  const errs = new Map<string, number>();
  const send = async (i: number) => {
    const reply = await lab.http.call('POST', '/api/send', { headers: { 'x-api-key': lab.sessions[i % SESSIONS]!.apiKey }, body: { to: RECIPIENT, message: `x ${i}` } });
    if (reply.status === 200) return;
    failed++;
    const k = `${i % SESSIONS}`;
    errs.set(k, (errs.get(k) ?? 0) + 1);
  };
  await runPool(Array.from({ length: SESSIONS * PER }, (_, i) => i), SESSIONS * PER, send);
  console.log('first burst failed', failed, [...errs]);
  failed = 0; errs.clear();
  await runPool(Array.from({ length: SESSIONS * PER }, (_, i) => i), 64, send);
  console.log('second burst failed', failed, [...errs]);
  const out = lab.connector.output();
  console.log(out.slice(-6000));
} finally {
  await lab.close();
}
