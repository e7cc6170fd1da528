// A lean HTTP/1.1 client for load: node:http over a keep-alive agent, so the load generator spends as
// little of the two cores as possible (fetch costs noticeably more per request).
import { Agent, request } from 'node:http';

export type Reply = { status: number; body: string };

export type HttpClient = {
  call(method: string, path: string, options?: { headers?: Record<string, string>; body?: unknown }): Promise<Reply>;
  close(): void;
};

export function httpClient(baseUrl: string, maxSockets = 256): HttpClient {
  const base = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets });
  return {
    call(method, path, options = {}) {
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      const headers: Record<string, string> = { ...options.headers };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      return new Promise((resolve, reject) => {
        const req = request({ host: base.hostname, port: base.port, method, path, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}
