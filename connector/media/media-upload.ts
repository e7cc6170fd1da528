// Streams received media bytes to the Worker through a PUT media link, with their length announced so the
// Worker can store them as they arrive. A source that fails mid-way aborts the request, so the Worker never
// completes an object from partial bytes.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type PutOptions = { size: number; contentType: string; filename?: string | undefined; signal?: AbortSignal };

export async function putMedia(link: string, body: Readable, { size, contentType, filename, signal }: PutOptions): Promise<void> {
  const url = new URL(link);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers: Record<string, string> = { 'content-type': contentType, 'content-length': String(size) };
  // Percent-encoded: a header carries no UTF-8, and file names often do.
  if (filename) headers['x-kabar-filename'] = encodeURIComponent(filename);
  const req = request(url, { method: 'PUT', headers, ...(signal ? { signal } : {}) });
  const answered = new Promise<number>((resolve, reject) => {
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('error', reject);
  });
  // Both settle: a failed source destroys the request, which fails `answered` too.
  const [sent, status] = await Promise.allSettled([pipeline(body, req), answered]);
  if (sent.status === 'rejected') throw sent.reason;
  if (status.status === 'rejected') throw status.reason;
  if (status.value < 200 || status.value >= 300) throw new Error(`the Worker answered ${status.value} to the media upload`);
}
