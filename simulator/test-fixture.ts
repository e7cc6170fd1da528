// One simulator per test file, with Baileys clients ended after each test and libsignal's console noise
// muted: the setup every simulator test file shares.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startSimulator, type Simulator } from './server.ts';
import { quietSignalLogs } from './signal-logs.ts';
import type { TestClient } from './test-client.ts';

/** Registers the hooks; `ready` receives the simulator once it listens. Returns `track` for clients to end. */
export function useSimulator(ready: (simulator: Simulator) => void): (client: TestClient) => void {
  const clients: TestClient[] = [];
  let simulator: Simulator | undefined;
  const restoreConsole = quietSignalLogs();
  beforeAll(async () => {
    simulator = await startSimulator();
    ready(simulator);
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.end();
  });
  afterAll(async () => {
    restoreConsole();
    await simulator?.close();
  });
  return (client) => {
    clients.push(client);
  };
}
