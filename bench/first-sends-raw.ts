// Plain Baileys on the simulator: N sockets in one process, PER concurrent first sends each to a contact none
// has messaged, then a second burst. Counts the sends that fail.
// Run: [AUTH=file] N=20 PER=8 node_modules/.bin/node bench/first-sends-raw.ts
import { useMultiFileAuthState } from '@whiskeysockets/baileys';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietSignalLogs } from '../simulator/signal-logs.ts';
import { connectClient, type TestClient } from '../simulator/test-client.ts';
import { RECIPIENT } from './lab.ts';
import { runPool } from './pool.ts';
import { startSimulatorProcess } from './simulator-process.ts';

quietSignalLogs();
const SESSIONS = Number(process.env.N ?? 20);
const PER = Number(process.env.PER ?? 8);
const simulator = await startSimulatorProcess();
const clients: TestClient[] = [];
try {
  for (let i = 0; i < SESSIONS; i++) {
    // AUTH=file: Baileys' own file store (its reads and writes are I/O), else the in-memory one.
    const state = process.env.AUTH === 'file' ? (await useMultiFileAuthState(await mkdtemp(join(tmpdir(), 'enc-raw-')))).state : undefined;
    const pairing = connectClient(simulator.wsUrl, state ? { state } : {});
    const { qr } = await pairing.connection((u) => !!u.qr);
    await simulator.scan(qr!, `628120${String(i).padStart(5, '0')}`);
    await pairing.closed();
    const client = connectClient(simulator.wsUrl, { state: pairing.state });
    await client.connection((u) => u.connection === 'open');
    clients.push(client);
  }
  for (const round of ['first', 'second']) {
    let failed = 0;
    const errs = new Map<string, number>();
    await runPool(Array.from({ length: SESSIONS * PER }, (_, i) => i), round === 'first' ? SESSIONS * PER : 64, async (i) => {
      try {
        await clients[i % SESSIONS]!.sock.sendMessage(`${RECIPIENT}@s.whatsapp.net`, { text: `raw ${i}` });
      } catch (e) {
        failed++;
        const k = `${i % SESSIONS}: ${(e as Error).message}`;
        errs.set(k, (errs.get(k) ?? 0) + 1);
      }
    });
    console.log(round, 'burst failed', failed, [...errs]);
  }
} finally {
  for (const c of clients) c.end();
  await simulator.close();
}
