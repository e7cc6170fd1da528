// The local libSQL server: Hrana over HTTP (JSON, protocol versions 2 and 3) on node:http, backed by
// one SQLite file, so @libsql/client talks to it as it would to Turso.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isJsonContentType, isLoopbackHost } from './browser-guards.ts';
import { Connection } from './connection.ts';
import { ConnectionPool } from './connection-pool.ts';
import { ProtocolError, StreamExpiredError } from './errors.ts';
import { cachingLexer } from './lexer-cache.ts';
import { runPipeline, type PipelineContext } from './pipeline.ts';
import { pipelineRequest } from './protocol.ts';
import { type Stream, StreamRegistry } from './streams.ts';
import { WriteGate } from './write-gate.ts';

export type LibsqlServerOptions = {
  /** The SQLite database file; created if missing. */
  file: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Pipeline requests must carry `authorization: Bearer <authToken>`; there is no unauthenticated mode. */
  authToken: string;
  /** A stream with no request for this long is closed and its transaction rolled back (Turso: 10 s). */
  streamIdleMs?: number;
  /** How long a writing pipeline waits for another stream's write transaction before SQLITE_BUSY. */
  writeWaitMs?: number;
  maxBodyBytes?: number;
};

// A pipeline runs synchronously once it holds the write gate, so only streams parked between requests or
// waiting for the gate hold connections at once; a few kept idle serve the Worker's requests.
const MAX_IDLE_CONNECTIONS = 8;

export type LibsqlServer = {
  url: string;
  /** Streams currently open (parked between requests or running one). */
  openStreams(): number;
  /** HTTP requests received so far: tests count a Worker's reads with it (they leave workerd straight here). */
  requests(): number;
  close(): Promise<void>;
};

export async function startLibsqlServer({
  file,
  host = '127.0.0.1',
  port = 0,
  authToken,
  streamIdleMs = 10_000,
  writeWaitMs = 15_000,
  maxBodyBytes = 10 * 1024 * 1024,
}: LibsqlServerOptions): Promise<LibsqlServer> {
  if (!authToken) throw new Error('libsql-server: an auth token is required (LIBSQL_AUTH_TOKEN)');
  const lex = cachingLexer();
  // WAL is a property of the file, so one connection sets it for all; this also fails early on a bad path.
  const setup = new Connection(file, lex);
  setup.useWal();
  setup.close();

  const gate = new WriteGate<Stream>();
  const pool = new ConnectionPool({ open: () => new Connection(file, lex), maxIdle: MAX_IDLE_CONNECTIONS });
  const streams = new StreamRegistry({
    openConnection: () => pool.borrow(),
    releaseConnection: (connection) => pool.giveBack(connection),
    idleMs: streamIdleMs,
    onClose: (stream) => gate.release(stream),
  });
  const context: PipelineContext = { streams, gate, writeWaitMs, lex };
  const isAuthorized = bearerCheck(authToken);

  let requests = 0;
  const server = createServer((request, response) => {
    requests++;
    route(request, response).catch((error: unknown) => {
      console.error('libsql-server: request failed', error);
      if (!response.headersSent) sendText(response, 500, 'Internal server error');
      else response.destroy();
    });
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!isLoopbackHost(request.headers.host)) return sendText(response, 403, 'Host must be a loopback name (localhost, 127.0.0.1, [::1])');
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method === 'GET' && (path === '/' || path.endsWith('/v2') || path.endsWith('/v3'))) {
      return sendText(response, 200, '');
    }
    const version = request.method !== 'POST' ? undefined
      : path.endsWith('/v2/pipeline') ? 2 : path.endsWith('/v3/pipeline') ? 3 : undefined;
    if (version === undefined) return sendText(response, 404, 'Not found');
    if (!isAuthorized(request.headers.authorization)) return sendText(response, 401, 'Unauthorized');
    if (!isJsonContentType(request.headers['content-type'])) return sendText(response, 415, 'Content-Type must be application/json');

    const raw = await readBody(request, maxBodyBytes);
    if (raw === undefined) return sendText(response, 413, `Request body exceeds ${maxBodyBytes} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      return sendText(response, 400, `Invalid JSON body: ${(error as Error).message}`);
    }
    const parsed = pipelineRequest.safeParse(body);
    if (!parsed.success) return sendText(response, 400, `Invalid pipeline request: ${parsed.error.message}`);

    try {
      sendJson(response, 200, await runPipeline(context, parsed.data, version));
    } catch (error) {
      if (error instanceof ProtocolError) return sendText(response, 400, error.message);
      if (error instanceof StreamExpiredError) return sendJson(response, 500, { message: error.message, code: error.code });
      throw error;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${urlHost}:${address.port}`,
    openStreams: () => streams.size,
    requests: () => requests,
    close: async () => {
      gate.refuseAll();
      pool.close();
      streams.closeAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function bearerCheck(token: string): (header: string | undefined) => boolean {
  // Comparing digests keeps the comparison constant-time whatever the header's length.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const expected = digest(`Bearer ${token}`);
  return (header) => header !== undefined && timingSafeEqual(digest(header), expected);
}

// An oversized body is still read to its end (and dropped), so the client gets the 413 rather than a reset.
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
    request.on('close', () => reject(new Error('request closed before its body ended')));
  });
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

// Exactly `application/json`: the client ignores error bodies whose content type has a charset.
function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
