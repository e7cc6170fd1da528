// For connector tests until they run against the Worker: a loopback HTTP server that answers the Worker's
// `/connector/media/{sessionId}/{mediaId}` links as the Worker does (signature checked with shared/media-link.ts),
// serving bytes it was given and hashing what is PUT to it as it streams in, without holding it.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { signMediaLink, verifyMediaLink, type MediaLinkMethod } from '../../shared/media-link.ts';

export type StoredMedia = { size: number; sha256: string; contentType: string | undefined; puts: number };

export type TestMediaEndpoint = {
  origin: string;
  /** Bytes a GET link serves, by media id. */
  serve(mediaId: string, bytes: Buffer | { size: number; open: () => Readable }): void;
  /** What was PUT under a media id (the last complete PUT), hashed as it arrived. */
  stored: Map<string, StoredMedia>;
  /** Every request, as `METHOD path`. */
  requests: string[];
  link(method: MediaLinkMethod, sessionId: string, mediaId: string): Promise<string>;
  close(): Promise<void>;
};

export async function startTestMediaEndpoint(secret: string): Promise<TestMediaEndpoint> {
  const served = new Map<string, { size: number; open: () => Readable }>();
  const stored = new Map<string, StoredMedia>();
  const requests: string[] = [];

  async function authorised(req: IncomingMessage, method: MediaLinkMethod): Promise<{ sessionId: string; mediaId: string } | null> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/connector\/media\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!match) return null;
    const [sessionId, mediaId] = [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
    const ok = await verifyMediaLink(secret, method, sessionId, mediaId, Number(url.searchParams.get('expires')), url.searchParams.get('signature') ?? '', Date.now());
    return ok ? { sessionId, mediaId } : null;
  }

  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    void (async () => {
      const method = req.method === 'PUT' ? 'PUT' : 'GET';
      const target = await authorised(req, method);
      if (!target) {
        req.resume();
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"success":false,"error":{"code":"FORBIDDEN"}}');
        return;
      }
      if (method === 'GET') {
        const media = served.get(target.mediaId);
        if (!media) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(media.size) });
        media.open().pipe(res);
        return;
      }
      const hash = createHash('sha256');
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        hash.update(chunk);
      });
      req.on('end', () => {
        const before = stored.get(target.mediaId);
        stored.set(target.mediaId, { size, sha256: hash.digest('hex'), contentType: req.headers['content-type'], puts: (before?.puts ?? 0) + 1 });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
      });
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    stored,
    requests,
    serve(mediaId, bytes) {
      served.set(mediaId, Buffer.isBuffer(bytes) ? { size: bytes.length, open: () => Readable.from([bytes]) } : bytes);
    },
    link: (method, sessionId, mediaId) => signMediaLink(secret, origin, method, sessionId, mediaId, Date.now() + 60_000),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
