// An incoming message the connector cannot store (the outbox write fails): it must not be receipted, nor
// nacked (WhatsApp may drop a nacked message for good), and the connector reconnects so that WhatsApp's
// offline delivery, which redelivers unreceipted messages at login, brings it again. Real Baileys, the
// real store with one failing write, the simulator.
import type { Client, InStatement, TransactionMode } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { hubEvent, pair, type Stack, useConnectorStack } from './test-stack.ts';

let simulator: Simulator;
let stack: Stack;

/** Outbox writes of incoming messages of these sessions fail once each. */
const failOnce = new Set<string>();

/** The armed session of an outbox write of an incoming message, if the statement is one. */
function armedIncoming(statement: InStatement): string | undefined {
  if (typeof statement !== 'object' || !statement.sql.startsWith('INSERT INTO outbox') || !Array.isArray(statement.args)) return undefined;
  const [, id, sessionId] = statement.args;
  return String(id).startsWith('rcv-') && failOnce.has(String(sessionId)) ? String(sessionId) : undefined;
}

const injected = () => Promise.reject(new Error('SQLITE_IOERR: disk I/O error (injected)'));

/** Whether every statement is a write of `sessionId`'s own: the message's unit committed alone, not a group. */
const ownUnit = (statements: InStatement[], sessionId: string) =>
  statements.every((s) => typeof s === 'object' && Array.isArray(s.args) && s.args.includes(sessionId));

/**
 * The real store, but the first outbox write of an incoming message of an armed session throws. The
 * connector commits writes in groups (commit-group.ts), retrying each unit alone when a group fails; an
 * incoming message's unit is its event, its recent message and its Signal keys (one commit). The write
 * fails its group and then its own unit's commit, once, as one failing write would.
 */
function failingOutbox(db: Client): Client {
  return new Proxy(db, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'execute') {
        return (statement: InStatement) => {
          const armed = armedIncoming(statement);
          if (armed && failOnce.delete(armed)) return injected();
          return target.execute(statement);
        };
      }
      if (property === 'batch') {
        return (statements: InStatement[], mode?: TransactionMode) => {
          const armed = statements.map(armedIncoming).find((s) => s !== undefined);
          if (armed) {
            if (ownUnit(statements, armed)) failOnce.delete(armed);
            return injected();
          }
          return target.batch(statements, mode);
        };
      }
      // The client's methods use its private fields: they must run on the client, not on the proxy.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

useConnectorStack('kabar-connector-storage-', (world) => ({ simulator, stack } = world), { overrides: { wrapDb: failingOutbox } });

describe('an incoming message that cannot be stored', () => {
  it('is neither receipted nor nacked, and comes again after the connector reconnects', async () => {
    const phone = '6281800000001';
    const contact = '6281900000801';
    await pair(stack, simulator, 'store-fails', phone);
    const nacks: string[] = [];
    const receipts: string[] = [];
    const offs = [
      simulator.events.on('nack-received', (n) => n.from === phone && nacks.push(n.error)),
      simulator.events.on('receipt-received', (r) => r.from === phone && receipts.push(r.id)),
    ];
    try {
      failOnce.add('store-fails');
      const reconnected = simulator.events.waitFor('device-disconnected', (d) => d.phone === phone, 20_000);
      const receipted = simulator.events.waitFor('receipt-received', (r) => r.from === phone && r.to === contact, 20_000);
      const { id } = await simulator.contactSend(contact, phone, 'keep me');
      await reconnected;
      const received = await hubEvent(stack.hub, 'store-fails', 'message.received', (e) => e.messageId === id);
      expect(received).toMatchObject({ from: contact, text: 'keep me' });
      expect(failOnce.has('store-fails')).toBe(false);
      expect((await receipted).id).toBe(id);
      expect(receipts).toEqual([id]);
      expect(nacks).toEqual([]);
      const frames = stack.hub.received.filter((f) => f.sessionId === 'store-fails' && f.event.name === 'message.received');
      expect(new Set(frames.map((f) => f.id)).size).toBe(1);
    } finally {
      for (const off of offs) off();
    }
  });
});
