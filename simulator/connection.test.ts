import { once } from 'node:events';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { startSimulator } from './server.ts';
import type { Simulator } from './server.ts';

let simulator: Simulator;

beforeAll(async () => {
  simulator = await startSimulator();
});
afterAll(() => simulator.close());

test('a client sending garbage instead of a handshake is cut off and reported, and the server keeps serving', async () => {
  const reported = simulator.events.waitFor('client-error');
  const ws = new WebSocket(simulator.wsUrl);
  await once(ws, 'open');
  const closed = once(ws, 'close');
  ws.send(Buffer.from('WA\x06\x03\x00\x00\x04junk', 'latin1'));
  await closed;
  expect((await reported).error).toBeInstanceOf(Error);
  expect((await fetch(`${simulator.url}/`)).status).toBe(200);
});

test('a WebSocket upgrade outside /ws is refused', async () => {
  const ws = new WebSocket(`${simulator.url.replace('http', 'ws')}/elsewhere`);
  const [error] = await once(ws, 'error');
  expect(String(error)).toMatch(/404/);
});
