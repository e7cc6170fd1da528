// What a queued message costs the connector's store while an unpaced queue drains, through real Baileys
// against the simulator and a real libSQL file: the statements on the queue's tables and the outbox reads per
// message, counted at the store. Each was once several per message (the pause, the next row, a "sending"
// mark, the finish and a pacing log entry; an outbox read for each batch of events the pump sent).
import { describe, expect, it } from 'vitest';
import type { InArgs, InStatement, ResultSet } from '@libsql/client';
import type { QueueItem } from '../../shared/protocol.ts';
import type { Simulator } from '../../simulator/server.ts';
import { eventually } from '../../testing/eventually.ts';
import { DelegatingClient } from '../delegating-client.ts';
import { sqlOf, statementOf } from '../statement.ts';
import { command, hubEvent, pair, useConnectorStack, type Stack } from '../test-stack.ts';

/** The store, recording each statement's SQL and arguments, those of write batches included, and each commit's SQL. */
class RecordingStore extends DelegatingClient {
  readonly statements: { sql: string; args: unknown[] }[] = [];
  readonly commits: { sql: string; args: unknown[] }[][] = [];

  override execute(stmt: InStatement): Promise<ResultSet>;
  override execute(sql: string, args?: InArgs): Promise<ResultSet>;
  override execute(stmt: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const statement = statementOf(stmt, args);
    this.#record(statement);
    return this.inner.execute(statement);
  }

  override batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: Parameters<DelegatingClient['batch']>[1]): Promise<ResultSet[]> {
    const statements = stmts.map((s) => (Array.isArray(s) ? statementOf(s[0], s[1]) : s));
    for (const s of statements) this.#record(s);
    if (mode === 'write') this.commits.push(statements.map(recorded));
    return this.inner.batch(stmts, mode);
  }

  #record(statement: InStatement): void {
    this.statements.push(recorded(statement));
  }
}

function recorded(statement: InStatement): { sql: string; args: unknown[] } {
  const args = typeof statement === 'string' || !Array.isArray(statement.args) ? [] : (statement.args as unknown[]);
  return { sql: sqlOf(statement).replace(/\s+/g, ' ').trim(), args };
}

let simulator: Simulator;
let stack: Stack;
let store: RecordingStore;

useConnectorStack('kabar-drain-statements-', (world) => ({ simulator, stack } = world), {
  overrides: { wrapDb: (db) => (store = new RecordingStore(db)) },
});

const QUEUE_TABLES = /\b(send_queue|send_queue_pause|send_log)\b/;

describe('an unpaced queue drain', () => {
  it('costs about one queue statement per message, no commit of its own for it, and no outbox read per event', async () => {
    const sessionId = 'drain-cost';
    const phone = '6281700000901';
    const contact = '6281900000901';
    // The stack's default pacing is off (UNPACED): nothing waits between sends.
    await pair(stack, simulator, sessionId, phone);
    const n = 30;
    const items: QueueItem[] = Array.from({ length: n }, (_, i) => ({ to: contact, message: { type: 'text', text: `pesan ${i}` } }));
    const from = store.statements.length;
    const commitsFrom = store.commits.length;
    const enqueued = await command(stack.hub, { name: 'queue.enqueue', sessionId, items });
    if (!enqueued.ok) throw new Error(JSON.stringify(enqueued.error));
    const ids = (enqueued.data as { queued: { messageId: string }[] }).queued.map((q) => q.messageId);
    await eventually(() => expect(simulator.inbox(contact).filter((m) => m.from === phone)).toHaveLength(n));
    await hubEvent(stack.hub, sessionId, 'message.status', (e) => e.messageId === ids.at(-1) && e.status === 'sent');
    expect(simulator.inbox(contact).map((m) => m.id)).toEqual(ids);

    const during = store.statements.slice(from);
    // This session's statements on the queue's tables, past the enqueue's own inserts.
    const queueWork = during.filter((s) => QUEUE_TABLES.test(s.sql) && s.args.includes(sessionId) && !s.sql.startsWith('INSERT INTO send_queue '));
    // Before: 5 a message (pause, next, mark sending, finish, log).
    expect(queueWork.length).toBeLessThanOrEqual(n + 6);
    expect(queueWork.filter((s) => s.sql.startsWith('SELECT')).length).toBeLessThanOrEqual(4);
    // A message's finish rides in the commit of its own record (its recent message, with its message.sent).
    const commits = store.commits.slice(commitsFrom);
    const alone = ids.filter((id) => {
      const commit = commits.find((c) => c.some((st) => st.sql.startsWith('UPDATE send_queue SET state = ?, done_at') && st.args.includes(id)));
      return !commit?.some((st) => st.sql.startsWith('INSERT INTO recent_message') && st.args.includes(id));
    });
    expect(alone).toEqual([]);
    // Each message makes several events (queued, sent, status sent...): the pump takes them as stored.
    const outboxReads = during.filter((s) => /^SELECT .* FROM outbox\b/.test(s.sql) && !/count\(\*\)/.test(s.sql));
    expect(outboxReads.length).toBeLessThanOrEqual(3);
  });
});
