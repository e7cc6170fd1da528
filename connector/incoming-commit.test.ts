// An incoming message's writes before its receipt share one durable commit: its event, its recent message
// and the Signal keys that decrypted it, through real Baileys against the simulator and a real libSQL file.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Client, InStatement } from '@libsql/client';
import type { Simulator } from '../simulator/server.ts';
import { eventually } from '../testing/eventually.ts';
import { hubEvent, pair, sendText, useConnectorStack, WAIT_MS, type Stack } from './test-stack.ts';

/** The store, recording what each transaction (or autocommitted write) wrote: 'insert outbox', 'delete outbox'… */
function recording(db: Client): { db: Client; commits: string[][] } {
  const commits: string[][] = [];
  const table = (stmt: InStatement | string | [string, unknown?]) => {
    const sql = typeof stmt === 'string' ? stmt : Array.isArray(stmt) ? stmt[0] : stmt.sql;
    const write = /^\s*(insert|update|delete|replace)\s+(?:into\s+|from\s+)?(\w+)/i.exec(sql);
    return write ? `${write[1]!.toLowerCase()} ${write[2]}` : null;
  };
  const spy = Object.create(null) as Client;
  for (const name of ['execute', 'batch', 'migrate', 'transaction', 'executeMultiple', 'sync', 'close', 'reconnect'] as const) {
    (spy as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      if (name === 'batch' && args[1] === 'write') commits.push((args[0] as InStatement[]).map(table).filter((t): t is string => t !== null));
      if (name === 'execute') {
        const written = table(args[0] as InStatement);
        if (written) commits.push([written]);
      }
      return (db[name] as (...a: unknown[]) => unknown).apply(db, args);
    };
  }
  Object.defineProperty(spy, 'closed', { get: () => db.closed });
  Object.defineProperty(spy, 'protocol', { get: () => db.protocol });
  return { db: spy, commits };
}

describe('incoming messages through a connector', () => {
  let simulator: Simulator;
  let stack: Stack;
  let commits: string[][] = [];

  useConnectorStack('kabar-incoming-commit-', (world) => ({ simulator, stack } = world), {
    overrides: {
      wrapDb: (store) => {
        const spy = recording(store);
        commits = spy.commits;
        return spy.db;
      },
    },
  });

  beforeAll(async () => {
    await pair(stack, simulator, 'alfa', '6281100000011');
    await pair(stack, simulator, 'bravo', '6281100000012');
  });

  /** Contacts write once first: a new contact's first message also stores its LID mapping, outside any message. */
  async function receive(contact: string, phone: string, sessionId: string, text: string): Promise<string> {
    const { id } = await simulator.contactSend(contact, phone, text);
    await hubEvent(stack.hub, sessionId, 'message.received', (e) => e.messageId === id);
    return id;
  }

  it('commits each message event with its recent message and the Signal keys that decrypted it, in one transaction', async () => {
    await receive('6289900000011', '6281100000011', 'alfa', 'hello');
    const from = commits.length;
    const messages = 4;
    for (let i = 0; i < messages; i++) await receive('6289900000011', '6281100000011', 'alfa', `one at a time ${i}`);
    const withEvent = commits.slice(from).filter((writes) => writes.includes('insert outbox'));
    expect(withEvent).toHaveLength(messages);
    for (const writes of withEvent) expect(writes).toEqual(expect.arrayContaining(['insert outbox', 'insert recent_message', 'insert auth_state']));
    // Nothing of a message is committed on its own: no recent message or Signal key outside those commits.
    expect(commits.slice(from).filter((writes) => !writes.includes('insert outbox') && writes.some((w) => w === 'insert recent_message' || w === 'insert auth_state'))).toEqual([]);
  });

  it('commits a burst across sessions in fewer transactions than messages', async () => {
    const contacts = Array.from({ length: 5 }, (_, i) => `628990000002${i}`);
    for (const contact of contacts) {
      await receive(contact, '6281100000011', 'alfa', 'hello');
      await receive(contact, '6281100000012', 'bravo', 'hello');
    }
    const from = commits.length;
    const count = 20;
    const sent = await Promise.all(
      Array.from({ length: count }, (_, i) => simulator.contactSend(contacts[i % 5]!, i % 2 ? '6281100000012' : '6281100000011', `burst ${i}`)),
    );
    const ids = new Set(sent.map((m) => m.id));
    await eventually(
      () => {
        const received = stack.hub.received.filter((f) => f.event.name === 'message.received' && ids.has(f.event.messageId));
        expect(new Set(received.map((f) => f.event.name === 'message.received' && f.event.messageId)).size).toBe(count);
      },
      { timeoutMs: WAIT_MS },
    );
    // Each message writes its event, its recent message and its Signal keys (three writes before its receipt).
    const writing = commits.slice(from).filter((writes) => writes.some((w) => w === 'insert outbox' || w === 'insert recent_message' || w === 'insert auth_state'));
    expect(writing.length).toBeLessThan(count);
  });

  it('keeps sends to a new contact decryptable while that contact writes at the same time', async () => {
    // Neither side has a Signal session yet: both start one at once, as a first conversation can.
    const contact = '6289900000031';
    const undecryptable: string[] = [];
    const off = simulator.events.on('client-error', (e) => e.phone === '6281100000012' && undecryptable.push(String(e.error)));
    try {
      const count = 10;
      const sends = Array.from({ length: count }, (_, i) => sendText(stack.hub, 'bravo', contact, `out ${i}`));
      const incoming = await Promise.all(Array.from({ length: count }, (_, i) => simulator.contactSend(contact, '6281100000012', `in ${i}`)));
      await Promise.all(incoming.map((m) => hubEvent(stack.hub, 'bravo', 'message.received', (e) => e.messageId === m.id)));
      const sent = (await Promise.all(sends)).flatMap((r) => (r.ok ? [r.data.messageId] : []));
      expect(sent).toHaveLength(count);
      await eventually(() => expect(simulator.inbox(contact).map((m) => m.id)).toEqual(expect.arrayContaining(sent)), { timeoutMs: WAIT_MS });
      // Each send used its own sending counter: the contact decrypted every one at the first try.
      expect(undecryptable).toEqual([]);
    } finally {
      off();
    }
  });
});
