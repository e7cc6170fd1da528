// For connector tests until they run against the Worker: answers the Worker's
// `/connector/media/{sessionId}/{mediaId}` links as the Worker does (signature checked with shared/media-link.ts),
// serving bytes it was given and hashing what is PUT to it as it streams in, without holding it. Mounted on
// the test hub's server (the Worker's origin) or on a loopback server of its own (another origin).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { signMediaLink, verifyMediaLink, type MediaLinkMethod } from '../../shared/media-link.ts';

export type StoredMedia = { size: number; sha256: string; contentType: string | undefined; puts: number };

export type MediaEndpoint = {
  handle: RequestListener;
  /** Bytes a GET link serves, by media id. */
  serve(mediaId: string, bytes: Buffer | { size: number; open: () => Readable }): void;
  /** What was PUT under a media id (the last complete PUT), hashed as it arrived. */
  stored: Map<string, StoredMedia>;
  /** PUTs that began, by media id, complete or not. */
  putsStarted: Map<string, number>;
  /** Every request, as `METHOD path`. */
  requests: string[];
  /** Waits for the next complete PUT of a media id. */
  nextPut(mediaId: string): Promise<StoredMedia>;
  /** While on, PUTs are answered 503 (their bytes read and dropped), as a Worker that cannot store them now. */
  refusePuts(on: boolean): void;
  /** Resolves at the next PUT refused. */
  nextRefusedPut(): Promise<void>;
  /** From now on PUTs wait, their bytes unread, until released: an upload still in flight. */
  holdPuts(): PutHold;
};

export type PutHold = {
  /** Resolves with the media id of the first PUT held. */
  reached: Promise<string>;
  /** Resolves with the media id of the first held PUT its client gave up (closed before an answer). */
  abandoned: Promise<string>;
  /** Lets held PUTs (and later ones) go on as usual. */
  release(): void;
};

export type TestMediaEndpoint = MediaEndpoint & {
  origin: string;
  link(method: MediaLinkMethod, sessionId: string, mediaId: string): Promise<string>;
  close(): Promise<void>;
};

export function mediaEndpoint(secret: string): MediaEndpoint {
  const served = new Map<string, { size: number; open: () => Readable }>();
  const stored = new Map<string, StoredMedia>();
  const putsStarted = new Map<string, number>();
  const requests: string[] = [];
  const waiting = new Map<string, ((media: StoredMedia) => void)[]>();
  let refusing = false;
  let refusedWaiters: (() => void)[] = [];
  let hold: { reached: (mediaId: string) => void; abandoned: (mediaId: string) => void; released: Promise<void> } | null = null;

  async function authorised(req: IncomingMessage, method: MediaLinkMethod): Promise<{ sessionId: string; mediaId: string } | null> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/connector\/media\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!match) return null;
    const [sessionId, mediaId] = [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
    const ok = await verifyMediaLink(secret, method, sessionId, mediaId, Number(url.searchParams.get('expires')), url.searchParams.get('signature') ?? '', Date.now());
    return ok ? { sessionId, mediaId } : null;
  }

  const handle: RequestListener = (req, res) => {
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
      putsStarted.set(target.mediaId, (putsStarted.get(target.mediaId) ?? 0) + 1);
      if (hold) {
        const held = hold;
        res.once('close', () => {
          if (!res.writableFinished) held.abandoned(target.mediaId);
        });
        held.reached(target.mediaId);
        await held.released;
        if (res.destroyed) return;
      }
      if (refusing) {
        req.resume();
        req.on('end', () => {
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"success":false}');
          for (const resolve of refusedWaiters) resolve();
          refusedWaiters = [];
        });
        return;
      }
      const hash = createHash('sha256');
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        hash.update(chunk);
      });
      req.on('end', () => {
        const media = { size, sha256: hash.digest('hex'), contentType: req.headers['content-type'], puts: (stored.get(target.mediaId)?.puts ?? 0) + 1 };
        stored.set(target.mediaId, media);
        for (const resolve of waiting.get(target.mediaId) ?? []) resolve(media);
        waiting.delete(target.mediaId);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
      });
    })().catch(() => res.destroy());
  };

  return {
    handle,
    stored,
    putsStarted,
    requests,
    serve(mediaId, bytes) {
      served.set(mediaId, Buffer.isBuffer(bytes) ? { size: bytes.length, open: () => Readable.from([bytes]) } : bytes);
    },
    refusePuts: (on) => void (refusing = on),
    nextRefusedPut: () => new Promise((resolve) => refusedWaiters.push(resolve)),
    holdPuts() {
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      let reached: (mediaId: string) => void = () => {};
      let abandoned: (mediaId: string) => void = () => {};
      const put: PutHold = {
        reached: new Promise((resolve) => (reached = resolve)),
        abandoned: new Promise((resolve) => (abandoned = resolve)),
        release: () => {
          if (hold?.released === released) hold = null;
          release();
        },
      };
      hold = { reached, abandoned, released };
      return put;
    },
    nextPut: (mediaId) => new Promise((resolve) => waiting.set(mediaId, [...(waiting.get(mediaId) ?? []), resolve])),
  };
}

/** The endpoint on a loopback server of its own. */
export async function startTestMediaEndpoint(secret: string): Promise<TestMediaEndpoint> {
  const endpoint = mediaEndpoint(secret);
  const server = createServer(endpoint.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...endpoint,
    origin,
    link: (method, sessionId, mediaId) => signMediaLink(secret, origin, method, sessionId, mediaId, Date.now() + 60_000),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
