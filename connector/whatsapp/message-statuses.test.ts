import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../shared/protocol.ts';
import type { Client } from '../db.ts';
import { createMessageStatusStore } from './message-status-store.ts';
import { MessageStatuses, statusEventId } from './message-statuses.ts';
import { useConnectorStore } from '../test-store.ts';

let db: Client;

useConnectorStore('kabar-statuses-', (store) => ({ db } = store));

/** A tracker on the real store, as a (re)started session makes it, recording what it emits. */
function tracker(sessionId: string) {
  const emitted: { event: SessionEvent; id: string }[] = [];
  const statuses = new MessageStatuses({
    sessionId,
    store: createMessageStatusStore(db),
    emit: async (event, id) => {
      emitted.push({ event, id });
    },
    logger: pino({ level: 'silent' }),
    now: Date.now,
  });
  const names = () => emitted.map(({ event }) => (event.name === 'message.status' ? `${event.messageId}:${event.status}` : event.name));
  return { statuses, emitted, names };
}

describe('MessageStatuses', () => {
  it('turns the server ack of its own send into sent, once, and ignores acks of stanzas it did not send', async () => {
    const { statuses, names } = tracker('s1');
    statuses.sending('M1', '6281234567890').release();
    await statuses.acked('M1', 1_000);
    await statuses.acked('M1', 1_000);
    await statuses.acked('NOT-OURS', 1_000);
    expect(names()).toEqual(['M1:sent']);
  });

  it('holds a send’s statuses until it is released, so none precedes its message.sent', async () => {
    const { statuses, names } = tracker('s2');
    const send = statuses.sending('M2', '6281234567890');
    const acked = statuses.acked('M2', 1_000);
    const read = statuses.upserted('M2', 'read', 1_000);
    // Another message's report, begun later, goes through the store and the outbox meanwhile.
    await statuses.report('OTHER', '6281234567890', 'sent', 1_000);
    expect(names()).toEqual(['OTHER:sent']);
    send.release();
    await Promise.all([acked, read]);
    expect(names()).toEqual(['OTHER:sent', 'M2:sent', 'M2:delivered', 'M2:read']);
  });

  it('takes upserts only for its own sends: a message the phone sent upserts as acked too', async () => {
    const { statuses, names } = tracker('s3');
    await statuses.upserted('FROM-PHONE', 'sent', 1_000);
    expect(names()).toEqual([]);
  });

  it('after a restart neither repeats a status nor goes back from read', async () => {
    const first = tracker('s4');
    await first.statuses.report('M4', '6281234567890', 'read', 1_000);
    expect(first.names()).toEqual(['M4:sent', 'M4:delivered', 'M4:read']);
    expect(first.emitted.map((e) => e.id)).toEqual(['sent', 'delivered', 'read'].map((s) => statusEventId('s4', 'M4', s as 'sent')));

    const restarted = tracker('s4');
    await restarted.statuses.report('M4', '6281234567890', 'delivered', 2_000);
    await restarted.statuses.report('M4', '6281234567890', 'read', 2_000);
    expect(restarted.names()).toEqual([]);
  });

  it('reports a status again when storing it failed, under the same event id', async () => {
    let fail = true;
    const emitted: string[] = [];
    const statuses = new MessageStatuses({
      sessionId: 's5',
      store: createMessageStatusStore(db),
      emit: async (_event, id) => {
        if (fail) throw new Error('outbox unavailable');
        emitted.push(id);
      },
      logger: pino({ level: 'silent' }),
      now: Date.now,
    });
    await statuses.report('M5', '6281234567890', 'delivered', 1_000);
    expect(emitted).toEqual([]);
    fail = false;
    await statuses.report('M5', '6281234567890', 'delivered', 1_000);
    expect(emitted).toEqual([statusEventId('s5', 'M5', 'sent'), statusEventId('s5', 'M5', 'delivered')]);
  });

  it('reads a send’s last status from the store once while its socket stays open, not once per report', async () => {
    const store = createMessageStatusStore(db);
    let reads = 0;
    const emitted: string[] = [];
    const statuses = new MessageStatuses({
      sessionId: 's6',
      store: { ...store, last: (sessionId, messageId) => (reads++, store.last(sessionId, messageId)) },
      emit: async (event) => {
        if (event.name === 'message.status') emitted.push(event.status);
      },
      logger: pino({ level: 'silent' }),
      now: Date.now,
    });
    statuses.sending('M6', '6281234567890').release();
    await statuses.acked('M6', 1_000);
    await statuses.report('M6', '6281234567890', 'delivered', 1_000);
    await statuses.report('M6', '6281234567890', 'delivered', 1_000);
    await statuses.report('M6', '6281234567890', 'read', 1_000);
    expect(emitted).toEqual(['sent', 'delivered', 'read']);
    expect(reads).toBe(1);
  });

  it('reads the store again once its socket reopens: a status another connector stored meanwhile is not gone back from', async () => {
    const here = tracker('s7');
    here.statuses.sending('M7', '6281234567890').release();
    await here.statuses.acked('M7', 1_000);
    // While this connector was fenced, the one that took the session over stored read for the same send.
    await tracker('s7').statuses.report('M7', '6281234567890', 'read', 2_000);
    here.statuses.opened();
    await here.statuses.upserted('M7', 'delivered', 3_000);
    expect(here.names()).toEqual(['M7:sent']);
  });
});
