// The body of the commit thread (commit-thread.ts): its own connection to the store, committing each
// group it is handed as one transaction, one at a time, in the order they came.
import { parentPort, workerData } from 'node:worker_threads';
import { createClient, type InStatement, type ResultSet } from '@libsql/client';

export type CommitRequest = { id: number; statements: InStatement[] };
export type PlainResult = Pick<ResultSet, 'columns' | 'rowsAffected' | 'lastInsertRowid'> & { rows: unknown[][] };
export type CommitReply = { id: number; ok: true; results: PlainResult[] } | { id: number; ok: false; error: { message: string; code: string; extendedCode?: string; rawCode?: number } };

const { url } = workerData as { url: string };
// As the main connection: another process's write lock is waited for, not failed on.
const db = createClient({ url, timeout: 5_000 });
const port = parentPort!;

port.on('message', async ({ id, statements }: CommitRequest) => {
  let reply: CommitReply;
  try {
    const results = await db.batch(statements, 'write');
    reply = { id, ok: true, results: results.map((r) => ({ columns: r.columns, rowsAffected: r.rowsAffected, lastInsertRowid: r.lastInsertRowid, rows: r.rows.map((row) => Array.from(row)) })) };
  } catch (error) {
    const e = error as { message?: string; code?: string; extendedCode?: string; rawCode?: number };
    reply = { id, ok: false, error: { message: String(e.message ?? error), code: e.code ?? 'UNKNOWN', extendedCode: e.extendedCode, rawCode: e.rawCode } };
  }
  port.postMessage(reply);
});
