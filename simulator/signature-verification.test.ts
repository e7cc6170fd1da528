// Baileys rc14's Curve.verify returns true for any 64-byte signature (it ignores libsignal's boolean
// result). These tests make it strict, as the upstream fix will, to prove the simulator signs its
// cert chain and ADV identities correctly and that its 'wrong' options are then refused.
import { Curve, DisconnectReason } from '@whiskeysockets/baileys';
import * as curve from 'libsignal/src/curve.js';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { PairingRejected } from './errors.ts';
import { startSimulator } from './server.ts';
import { quietSignalLogs } from './signal-logs.ts';
import type { Simulator } from './server.ts';
import { connectClient, linkClient } from './test-client.ts';
import type { TestClient } from './test-client.ts';

const lenientVerify = Curve.verify;
let simulator: Simulator;
const clients: TestClient[] = [];
const track = (client: TestClient) => clients.push(client);

const restoreConsole = quietSignalLogs();
beforeAll(async () => {
  // Baileys' noise handler and pairing code call Curve.verify through the exported object.
  Curve.verify = (publicKey, message, signature) => {
    try {
      return curve.verifySignature(Buffer.concat([Buffer.from([5]), publicKey]), message, signature);
    } catch {
      return false;
    }
  };
  simulator = await startSimulator();
});
afterEach(() => {
  for (const client of clients.splice(0)) client.end();
});
afterAll(async () => {
  restoreConsole();
  Curve.verify = lenientVerify;
  await simulator.close();
});

test('a Baileys that verifies signatures accepts the test-root chain and the account signature', async () => {
  const client = await linkClient(simulator, '6281200000001', track);
  expect(client.state.creds.me?.id).toMatch(/^6281200000001:/);
});

test('a Baileys that verifies signatures refuses a forged account signature', async () => {
  const pairing = connectClient(simulator.wsUrl);
  track(pairing);
  const { qr } = await pairing.connection((update) => !!update.qr);
  await expect(simulator.scan(qr!, '6281200000002', { forgeAccountSignature: true })).rejects.toBeInstanceOf(
    PairingRejected,
  );
  expect((await pairing.closed()).statusCode).not.toBe(DisconnectReason.restartRequired);
  expect(pairing.state.creds.me).toBeUndefined();
});

test('a Baileys that verifies signatures refuses a chain signed by the wrong root', async () => {
  const wrong = await startSimulator({ certRoot: 'wrong' });
  try {
    const client = connectClient(wrong.wsUrl);
    track(client);
    const update = await client.connection((u) => !!u.qr || u.connection === 'close');
    expect(update.connection).toBe('close');
    expect((await client.closed()).statusCode).toBe(400);
  } finally {
    await wrong.close();
  }
});
