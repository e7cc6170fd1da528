// A connector store of the test file's own: a real libSQL file in a scratch folder, opened before the file's
// tests and closed and deleted after them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openConnectorDb, type Client } from './db.ts';

/** Registers the hooks; `ready` receives the open store and its folder before the first test. */
export function useConnectorStore(prefix: string, ready: (store: { db: Client; dir: string }) => void, file = 'connector.db'): void {
  let dir: string | undefined;
  let db: Client | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    db = await openConnectorDb(`file:${join(dir, file)}`);
    ready({ db, dir });
  });
  afterAll(() => {
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}
