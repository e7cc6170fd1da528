// `npm run webhook:echo`: a local webhook receiver for trying kabar out. It prints every delivery and
// whether its signature verifies, the same check a backend should make (see README).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const port = Number(process.env.WEBHOOK_ECHO_PORT ?? 9999);
const secretsFile = join(import.meta.dirname, '..', 'data', 'local-secrets.json');
/** Read at each delivery: `npm start` may write data/local-secrets.json after this tool started. */
function currentSecret(): string {
  if (process.env.WEBHOOK_SECRET) return process.env.WEBHOOK_SECRET;
  return existsSync(secretsFile) ? (JSON.parse(readFileSync(secretsFile, 'utf8')) as { webhookSecret: string }).webhookSecret : '';
}

function verifies(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const timestamp = String(request.headers['x-kabar-timestamp'] ?? '');
    const signature = String(request.headers['x-kabar-signature'] ?? '');
    const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
    const secret = currentSecret();
    const valid = secret !== '' && fresh && verifies(secret, timestamp, body, signature);
    console.log(`${request.method} ${request.url} signature ${valid ? 'valid' : 'INVALID'}\n${body}\n`);
    response.writeHead(valid ? 200 : 401).end();
  });
}).listen(port, '127.0.0.1', () => console.log(`webhook echo on http://127.0.0.1:${port}`));
