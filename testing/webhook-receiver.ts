// A webhook receiver for tests: a real HTTP server on a loopback port that records each request as it
// arrived (raw body, headers) and answers as the test tells it to.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Answer = { status: number; headers?: Record<string, string> } | { hang: true };

/** `answer` may take its time: a promise holds the request open until it settles, as a slow backend would. */
export async function startWebhookReceiver(answer: (hook: ReceivedHook) => Answer | Promise<Answer> = () => ({ status: 200 })) {
  const received: ReceivedHook[] = [];
  /** Requests left hanging that their sender has not given up on yet. */
  let hanging = 0;
  const waiters: { match: (h: ReceivedHook) => boolean; resolve: (h: ReceivedHook) => void }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const hook = { path: request.url ?? '/', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(hook);
      for (const waiter of waiters.filter((w) => w.match(hook))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(hook);
      }
      const decision = await answer(hook);
      if ('hang' in decision) {
        // the sender's timeout has to end it
        hanging++;
        response.on('close', () => hanging--);
        return;
      }
      response.writeHead(decision.status, { 'content-type': 'text/plain', ...decision.headers }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** How many requests are hanging now, their sender still waiting. */
    hanging: () => hanging,
    /** Resolves with the first request (already received or yet to come) that matches. */
    next(match: (h: ReceivedHook) => boolean): Promise<ReceivedHook> {
      const found = received.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
