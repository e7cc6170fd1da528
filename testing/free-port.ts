// A free loopback port for a process that must be told its port by number (the Worker cannot take port 0).
import { createServer } from 'node:net';

/**
 * A free port below the kernel's ephemeral range (32768-60999 on Linux): a port-0 listener or an outgoing
 * connection of a parallel test can take a freed ephemeral port between this check and the stack's bind,
 * but nothing takes a port from this range unless asked for it by number.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
}
