// A TCP proxy on a loopback port that a test can freeze: while frozen no byte passes either way and no
// connection is closed, as when a machine freezes, a cable is pulled or a NAT forgets the flow. Neither end
// hears a FIN or a reset; only what each side does about the silence shows.
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  /** 127.0.0.1:<port> of the proxy, to dial instead of the target. */
  port: number;
  /** From now on nothing passes, on open connections and new ones alike; nothing is closed. */
  freeze(): void;
  close(): Promise<void>;
}

/** Forwards every connection to `target` (a loopback host and port). */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let frozen = false;
  const hold = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    hold(client);
    // A frozen network does not answer new connections either: they wait, unread, for ever.
    if (frozen) return client.pause();
    const upstream = createConnection(target);
    hold(upstream);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('data', (chunk) => {
        if (!frozen) to.write(chunk);
      });
      from.on('end', () => !frozen && to.end());
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    freeze() {
      frozen = true;
      // Unread bytes stay in the kernel's buffers, as on a dead path.
      for (const socket of sockets) socket.pause();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
