// A session removed (the hub's explicit `remove`) while media it received is still being fetched: its
// media jobs, which hold the sealed message, go with it, and nothing of it is uploaded or reported after,
// through the whole connector (real Baileys, media jobs, outbox) against the WhatsApp simulator.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/server.ts';
import { eventually } from '../testing/eventually.ts';
import { WAIT_MS, hubEvent, pair, useConnectorStack, type Stack } from './test-stack.ts';

let simulator: Simulator;
let stack: Stack;
const contact = '6281900000601';
const gonePhone = '6281100000601';
const keptPhone = '6281100000602';

// A failed fetch waits an hour: a job stays pending for as long as the test needs it to.
useConnectorStack('kabar-media-remove-', (world) => ({ simulator, stack } = world), { store: 'remove.db', overrides: { mediaRetryDelay: () => 3_600_000 } });

beforeAll(async () => {
  await pair(stack, simulator, 'kept', keptPhone);
});

const jobsOf = async (sessionId: string) =>
  Number((await stack.db.execute({ sql: 'SELECT count(*) AS n FROM media_job WHERE session_id = ?', args: [sessionId] })).rows[0]?.n);

const attemptsOf = async (sessionId: string) =>
  (await stack.db.execute({ sql: 'SELECT attempts FROM media_job WHERE session_id = ?', args: [sessionId] })).rows.map((r) => Number(r.attempts));

/**
 * Sends a document from the contact to `sessionId`'s phone while the Worker refuses uploads; resolves with
 * its message id and media id once its failed attempt is recorded (its job now waits an hour).
 */
async function refusedDocument(sessionId: string, phone: string): Promise<{ id: string; mediaId: string }> {
  const before = new Set(stack.media.putsStarted.keys());
  const refused = stack.media.nextRefusedPut();
  const { id } = await simulator.contactSendMedia(contact, phone, { type: 'document', data: randomBytes(8_000), mimetype: 'application/pdf', filename: `${sessionId}.pdf` });
  await refused;
  const mediaId = [...stack.media.putsStarted.keys()].find((key) => !before.has(key));
  if (!mediaId) throw new Error('no PUT for the document');
  await eventually(async () => expect(await attemptsOf(sessionId)).toEqual([1]));
  return { id, mediaId };
}

describe('removing a session with media still to fetch', () => {
  it('deletes its pending media jobs, never uploads or reports them afterwards, and keeps the other sessions\' jobs', async () => {
    await pair(stack, simulator, 'gone', gonePhone);
    stack.media.refusePuts(true);
    const gone = await refusedDocument('gone', gonePhone);
    const keptFirst = await refusedDocument('kept', keptPhone);

    const unlinked = simulator.events.waitFor('device-unlinked', (d) => d.phone === gonePhone, WAIT_MS);
    stack.hub.send({ type: 'remove', sessionIds: ['gone'] });
    await unlinked;
    await eventually(async () => expect(await jobsOf('gone')).toBe(0));

    // Every job left is due now and a new message wakes the receiver; the table is empty only once every
    // job in it has run, so a job the removal had left behind would have uploaded and reported by then.
    stack.media.refusePuts(false);
    await stack.db.execute('UPDATE media_job SET next_at = 0');
    const { id: keptSecond } = await simulator.contactSendMedia(contact, keptPhone, { type: 'image', data: randomBytes(5_000) });
    await hubEvent(stack.hub, 'kept', 'message.received', (e) => e.messageId === keptFirst.id && e.media?.id === keptFirst.mediaId);
    await hubEvent(stack.hub, 'kept', 'message.received', (e) => e.messageId === keptSecond);
    await eventually(async () => expect(Number((await stack.db.execute('SELECT count(*) AS n FROM media_job')).rows[0]?.n)).toBe(0));

    expect(stack.media.putsStarted.get(gone.mediaId)).toBe(1);
    expect(stack.media.stored.has(gone.mediaId)).toBe(false);
    expect(stack.hub.received.some((f) => f.sessionId === 'gone' && f.event.name === 'message.received')).toBe(false);
  });

  it('stops an upload in flight for a removed session, and never reports its message', async () => {
    await pair(stack, simulator, 'gone2', '6281100000603');
    const hold = stack.media.holdPuts();
    const { id } = await simulator.contactSendMedia(contact, '6281100000603', { type: 'document', data: randomBytes(8_000), mimetype: 'application/pdf', filename: 'held.pdf' });
    const mediaId = await hold.reached;

    stack.hub.send({ type: 'remove', sessionIds: ['gone2'] });
    const abandoned = await Promise.race([hold.abandoned, new Promise<null>((resolve) => setTimeout(() => resolve(null), WAIT_MS).unref())]);
    hold.release();
    expect(abandoned).toBe(mediaId);
    await eventually(async () => expect(await jobsOf('gone2')).toBe(0));
    expect(stack.media.stored.has(mediaId)).toBe(false);
    expect(stack.hub.received.some((f) => f.sessionId === 'gone2' && f.event.name === 'message.received' && f.event.messageId === id)).toBe(false);
  });
});
