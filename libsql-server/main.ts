// Runs the local libSQL server from the command line (`npm run db:server`), configured by environment.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { startLibsqlServer } from './server.ts';

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return port;
}

const file = process.env.LIBSQL_FILE || 'data/kabar.db';
const port = portFrom('LIBSQL_PORT', 8080);
const host = process.env.LIBSQL_HOST || '127.0.0.1';
// There is no open mode: without a token any web page the developer visits could try its luck.
const given = process.env.LIBSQL_AUTH_TOKEN || undefined;
const authToken = given ?? randomBytes(32).toString('base64url');

mkdirSync(dirname(file), { recursive: true });
const server = await startLibsqlServer({ file, host, port, authToken });
console.log(`libsql-server: ${server.url} (file ${file}, bearer auth${given ? '' : `; generated token for this run: ${authToken}`})`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close().then(() => process.exit(0), (error: unknown) => {
      console.error('libsql-server: close failed', error);
      process.exit(1);
    });
  });
}
