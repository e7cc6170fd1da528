// The media host: a second, HTTPS-only loopback listener, as Baileys hard-codes `https://` for media.
// `POST /mms/<type>/<token>?auth=&token=` stores an encrypted upload and answers {url, direct_path}
// (Utils/messages-media.js getWAUploadToServer); `GET <direct_path>` streams the blob back (or a byte
// range of it), or 404/410.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { SimulatorEvents } from './events.ts';
import { MEDIA_HOST_CERT, MEDIA_HOST_KEY } from './media-tls.ts';
import { UploadRefused, type MediaStore } from './media-store.ts';
import type { MediaType } from './media-crypto.ts';

/** Upload paths (Defaults MEDIA_PATH_MAP): a sticker goes up as an image, a voice note as audio. */
const UPLOAD_PATH = /^\/mms\/(image|video|audio|document)\/([A-Za-z0-9_-]+)$/;

/** What the simulated WhatsApp knows of its media host: where it is, its upload auth, and its blobs. */
export type MediaHost = {
  /** `localhost:<port>`, as media_conn announces it and as the certificate names it. */
  hostname: string;
  /** The media_conn auth every upload must carry. */
  auth: string;
  store: MediaStore;
};

export type MediaServer = { port: number; url: string; close(): Promise<void> };

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(media: () => MediaHost, events: SimulatorEvents, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { store, auth, hostname } = media();
  const url = new URL(req.url ?? '/', 'https://media');
  const upload = UPLOAD_PATH.exec(url.pathname);
  if (req.method === 'POST' && upload) {
    const type = upload[1] as MediaType;
    const token = upload[2]!;
    const refuse = (status: number, reason: string) => {
      events.emit('media-upload-refused', { status, reason });
      // The body is not read: close the connection rather than drain a large upload.
      res.setHeader('connection', 'close');
      json(res, status, { error: reason });
    };
    if (url.searchParams.get('auth') !== auth) return refuse(401, 'the auth is not the one media_conn gave');
    if (url.searchParams.get('token') !== token) return refuse(400, 'the token query does not match the path');
    try {
      const { directPath, size } = await store.upload(req, type, token);
      events.emit('media-uploaded', { type, directPath, size });
      json(res, 200, { url: `https://${hostname}${directPath}`, direct_path: directPath });
    } catch (error) {
      if (!(error instanceof UploadRefused)) throw error;
      refuse(error.status, error.message);
    }
    return;
  }
  if (req.method === 'GET' && url.pathname.startsWith('/v/')) {
    // Baileys asks for a range (`bytes=<start>-[<end>]`) when it wants part of a file (startByte/endByte).
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const blob = await store.open(`${url.pathname}${url.search}`, range ? { start: Number(range[1]), end: range[2] ? Number(range[2]) : undefined } : undefined);
    if ('status' in blob) {
      events.emit('media-fetched', { directPath: url.pathname, status: blob.status });
      if (blob.status === 416) res.setHeader('content-range', `bytes */${blob.size}`);
      return json(res, blob.status, { error: blob.status === 410 ? 'expired' : blob.status === 416 ? 'range not satisfiable' : 'not found' });
    }
    events.emit('media-fetched', { directPath: url.pathname, status: blob.range ? 206 : 200 });
    const headers = blob.range
      ? { 'content-length': blob.range.end - blob.range.start + 1, 'content-range': `bytes ${blob.range.start}-${blob.range.end}/${blob.size}` }
      : { 'content-length': blob.size };
    res.writeHead(blob.range ? 206 : 200, { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', ...headers });
    await pipeline(blob.stream, res);
    return;
  }
  json(res, 404, { error: 'not found' });
}

/** Listens on `host`:`port` (0 picks one); `media` is read per request, as the world owns the host. */
export async function startMediaServer(
  media: () => MediaHost,
  events: SimulatorEvents,
  options: { host: string; port: number },
): Promise<MediaServer> {
  const server: Server = createServer({ cert: MEDIA_HOST_CERT, key: MEDIA_HOST_KEY }, (req, res) => {
    handle(media, events, req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else json(res, 500, { error: `internal error: ${(error as Error).message}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `https://localhost:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
