import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, FRAME_BATCH_MAX, PROTOCOL_VERSION, type Command, type DesiredSession } from '../shared/protocol.ts';
import { eventually } from '../testing/eventually.ts';
import { openConnectorDb, type Client } from './db.ts';
import { HubLink, type CommandOutcome, type HubHandlers } from './hub-link.ts';
import { createOutbox, type Outbox } from './outbox.ts';
import { startTestHub, type TestHub } from './test-hub.ts';

const SECRET = 'test-secret-of-sufficient-length';
const logger = pino({ level: 'silent' });

let dir: string;
let db: Client;
let outbox: Outbox;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kabar-hub-link-'));
  db = await openConnectorDb(`file:${join(dir, 'connector.db')}`);
});
// A fresh outbox per test: it keeps what it stored in memory for the pump, and each test empties the table.
beforeEach(() => {
  outbox = createOutbox(db, Buffer.alloc(32, 9), { connectorId: 'edge-1', logger });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await db.execute('DELETE FROM outbox');
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function hub(options: Partial<Parameters<typeof startTestHub>[0]> = {}): Promise<TestHub> {
  const h = await startTestHub({ secret: SECRET, ...options });
  cleanups.push(() => h.close());
  return h;
}

type Recorded = { welcomes: DesiredSession[][]; desired: DesiredSession[][]; removed: string[][] };

function link(h: TestHub, overrides: { logger?: Logger; secret?: string; command?: HubHandlers['command']; held?: string[]; resendUnackedMs?: number; eventWindow?: number } = {}) {
  const recorded: Recorded = { welcomes: [], desired: [], removed: [] };
  const l = new HubLink({
    hubUrl: h.url,
    connectorId: 'edge-1',
    secret: overrides.secret ?? SECRET,
    outbox,
    logger: overrides.logger ?? logger,
    heldSessions: async () => overrides.held ?? [],
    liveStatuses: () => [],
    reconnectDelay: () => 20,
    ...(overrides.resendUnackedMs ? { resendUnackedMs: overrides.resendUnackedMs } : {}),
    ...(overrides.eventWindow ? { eventWindow: overrides.eventWindow } : {}),
    handlers: {
      welcome: (s) => void recorded.welcomes.push(s),
      desired: (s) => void recorded.desired.push(s),
      remove: (ids) => void recorded.removed.push(ids),
      command: overrides.command ?? (async () => ({ ok: true, data: { messageId: 'M', remoteJid: 'x@s.whatsapp.net', timestamp: 1 } })),
    },
  });
  cleanups.push(() => l.close());
  return { link: l, recorded };
}

const sendText = (id: string, deadline = Date.now() + 60_000) => ({
  type: 'command' as const,
  id,
  deadline,
  command: { name: 'send.text' as const, sessionId: 's1', to: '6281234567890', text: 'hi' },
});

describe('hub link', () => {
  it('authenticates with an HMAC proof, lists held sessions and applies the welcome', async () => {
    const sessions: DesiredSession[] = [{ sessionId: 's1', state: 'running', authEpoch: 0 }];
    const h = await hub({ sessions });
    const { link: l, recorded } = link(h, { held: ['s1', 's9'] });
    const hello = once(h.events, 'hello');
    const ready = once(l, 'ready');
    l.start();
    const [frame] = await hello;
    expect(frame).toMatchObject({ type: 'hello', protocol: PROTOCOL_VERSION, connectorId: 'edge-1', held: ['s1', 's9'] });
    expect(frame.proof).toMatch(/^[0-9a-f]{64}$/);
    await ready;
    expect(recorded.welcomes).toEqual([sessions]);
    expect(l.ready).toBe(true);
  });

  it('is refused with 4001 when the secret is wrong', async () => {
    const h = await hub();
    const { link: l } = link(h, { secret: 'not-the-right-secret-at-all' });
    const disconnected = once(l, 'disconnected');
    l.start();
    const [{ code }] = await disconnected;
    expect(code).toBe(4001);
    expect(l.ready).toBe(false);
  });

  it("dials its own hub, and refused by a hub of another protocol version logs one line naming both versions", async () => {
    const h = await hub({ protocol: PROTOCOL_VERSION - 1 });
    const lines: { level: number; msg: string; hubProtocol?: number; connectorProtocol?: number }[] = [];
    const capture = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const { link: l } = link(h, { logger: capture });
    const dialled = once(h.events, 'dialled');
    const disconnected = once(l, 'disconnected');
    l.start();
    expect((await dialled)[0]).toBe('/hub/connect?connector=edge-1');
    const [{ code }] = await disconnected;
    expect(code).toBe(CloseCode.unsupportedVersion);
    const versionLines = lines.filter((line) => line.msg.includes('protocol versions differ'));
    expect(versionLines).toEqual([expect.objectContaining({ level: 50, hubProtocol: PROTOCOL_VERSION - 1, connectorProtocol: PROTOCOL_VERSION })]);
    expect(l.ready).toBe(false);
  });

  it('reconnects and authenticates again after the hub drops the socket', async () => {
    const h = await hub();
    const { link: l, recorded } = link(h);
    l.start();
    await once(l, 'ready');
    const disconnected = once(l, 'disconnected');
    const readyAgain = once(h.events, 'welcomed');
    h.drop();
    await disconnected;
    await readyAgain;
    await once(l, 'ready');
    expect(recorded.welcomes).toHaveLength(2);
  });

  it('forwards desired and remove frames', async () => {
    const h = await hub();
    const { link: l, recorded } = link(h);
    l.start();
    await once(l, 'ready');
    const desired: DesiredSession[] = [{ sessionId: 's2', state: 'stopped', authEpoch: 3 }];
    h.send({ type: 'desired', sessions: desired });
    h.send({ type: 'remove', sessionIds: ['s3'] });
    h.send({ type: 'command', id: 'sync', deadline: Date.now() + 60_000, command: sendText('sync').command });
    await once(h.events, 'result');
    expect(recorded.desired).toEqual([desired]);
    expect(recorded.removed).toEqual([['s3']]);
  });

  it('sends outbox events oldest first and forgets them when acked', async () => {
    const h = await hub({ autoAck: true });
    const { link: l } = link(h);
    const a = (await outbox.add('s1', { name: 'connection.update', status: 'STARTING' }))!;
    const b = (await outbox.add('s1', { name: 'connection.update', status: 'WORKING' }))!;
    l.start();
    const acked: string[] = [];
    l.on('acked', (ids) => acked.push(...ids));
    expect(await l.flush(10_000)).toBe(true);
    expect(h.received.map((e) => e.id)).toEqual([a.id, b.id]);
    // The outbox reads empty once the last delete is committed; its ack is announced once that is durable.
    await eventually(() => expect(acked).toEqual([a.id, b.id]));
    const c = (await outbox.add('s1', { name: 'connection.update', status: 'STOPPED' }))!;
    l.notifyOutbox();
    await once(h.events, 'event');
    expect(h.received.at(-1)?.id).toBe(c.id);
  });

  it('sends the events one outbox read finds in one events frame, oldest first', async () => {
    const h = await hub({ autoAck: true });
    const { link: l } = link(h);
    const added = [];
    for (let i = 0; i < 5; i++) added.push((await outbox.add('s1', { name: 'connection.update', status: i % 2 ? 'WORKING' : 'STARTING' }))!);
    const batches: number[] = [];
    h.events.on('eventBatch', (n) => batches.push(n));
    l.start();
    expect(await l.flush(10_000)).toBe(true);
    expect(batches).toEqual([5]);
    expect(h.received.map((e) => e.id)).toEqual(added.map((e) => e.id));
  });

  it('reads the outbox once for what was stored, not again for each ack, and again for each event stored later', async () => {
    const h = await hub({ autoAck: true });
    const { link: l } = link(h);
    const pending = outbox.pending;
    let reads = 0;
    outbox.pending = (...args) => {
      reads++;
      return pending(...args);
    };
    cleanups.push(async () => void (outbox.pending = pending));
    for (let i = 0; i < 3; i++) await outbox.add('s1', { name: 'connection.update', status: 'WORKING' });
    l.start();
    expect(await l.flush(10_000)).toBe(true);
    // Before: a second read to find nothing more, and one more after each ack.
    expect(reads).toBe(1);
    const later = (await outbox.add('s1', { name: 'connection.update', status: 'STOPPED' }))!;
    l.notifyOutbox();
    await eventually(() => expect(h.received.at(-1)?.id).toBe(later.id));
    expect(await l.flush(10_000)).toBe(true);
    expect(reads).toBe(2);
  });

  it('resends every unacked event, oldest first, after a reconnect', async () => {
    const h = await hub({ autoAck: false });
    const { link: l } = link(h);
    l.start();
    await once(l, 'ready');
    const ids: string[] = [];
    for (const status of ['STARTING', 'SCAN_QR_CODE', 'WORKING'] as const) {
      const entry = (await outbox.add('s1', { name: 'connection.update', status }))!;
      ids.push(entry.id);
      const got = once(h.events, 'event');
      l.notifyOutbox();
      await got;
    }
    h.send({ type: 'ack', ids: [ids[1]!] });
    await once(l, 'acked');
    h.setAutoAck(true);
    h.received.length = 0;
    h.drop();
    await once(l, 'ready');
    expect(await l.flush(10_000)).toBe(true);
    expect(h.received.map((e) => e.id)).toEqual([ids[0], ids[2]]);
  });

  it('sends an unacked event again on the same link when the hub stays silent about it', async () => {
    const h = await hub({ autoAck: false });
    const { link: l } = link(h, { resendUnackedMs: 50 });
    l.start();
    await once(l, 'ready');
    const entry = (await outbox.add('s1', { name: 'connection.update', status: 'WORKING' }))!;
    const sentTwice = new Promise<void>((resolve) => {
      let seen = 0;
      h.events.on('event', (event: { id: string }) => {
        if (event.id === entry.id && ++seen === 2) resolve();
      });
    });
    l.notifyOutbox();
    await sentTwice;
    h.send({ type: 'ack', ids: [entry.id] });
    await once(l, 'acked');
    expect(await outbox.count()).toBe(0);
  });

  it('keeps at most its window of events unacked and sends more as acks arrive', async () => {
    const h = await hub({ autoAck: false });
    const { link: l } = link(h, { eventWindow: 5, resendUnackedMs: 60_000 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await outbox.add('s1', { name: 'message.status', messageId: `W${i}`, to: '6281234567890', status: 'delivered', timestamp: i }))!.id);
    const received = (n: number) =>
      new Promise<void>((resolve) => {
        if (h.received.length >= n) return resolve();
        const check = () => h.received.length >= n && (h.events.off('event', check), resolve());
        h.events.on('event', check);
      });
    // A command's round trip: whatever the link sent before its result has reached the hub by then.
    let trips = 0;
    const roundTrip = async () => {
      const result = once(h.events, 'result');
      h.send(sendText(`trip-${++trips}`));
      await result;
    };
    l.start();
    await received(5);
    await roundTrip();
    expect(h.received.map((e) => e.id)).toEqual(ids.slice(0, 5));
    h.send({ type: 'ack', ids: ids.slice(0, 2) });
    await received(7);
    await roundTrip();
    expect(h.received.map((e) => e.id)).toEqual(ids.slice(0, 7));
    h.setAutoAck(true);
    h.send({ type: 'ack', ids: ids.slice(2, 7) });
    expect(await l.flush(10_000)).toBe(true);
    expect(h.received.map((e) => e.id)).toEqual(ids);
  });

  it('sends what is stored while two frames wait for their ack together, in one frame, after an ack', async () => {
    const h = await hub({ autoAck: false });
    const { link: l } = link(h, { resendUnackedMs: 60_000 });
    l.start();
    await once(l, 'ready');
    const received = (n: number) =>
      new Promise<void>((resolve) => {
        if (h.received.length >= n) return resolve();
        const check = () => h.received.length >= n && (h.events.off('event', check), resolve());
        h.events.on('event', check);
      });
    const add = async (i: number) => {
      const entry = (await outbox.add('s1', { name: 'message.status', messageId: `F${i}`, to: '6281234567890', status: 'delivered', timestamp: i }))!;
      l.notifyOutbox();
      return entry.id;
    };
    const first = await add(1);
    await received(1);
    const second = await add(2);
    await received(2);
    const later = [await add(3), await add(4), await add(5)];
    // A command's round trip: whatever the link sent before its result has reached the hub by then.
    const result = once(h.events, 'result');
    h.send(sendText('trip'));
    await result;
    expect(h.received.map((e) => e.id)).toEqual([first, second]);
    const batches: number[] = [];
    h.events.on('eventBatch', (n) => batches.push(n));
    h.send({ type: 'ack', ids: [first] });
    await received(5);
    expect(batches).toEqual([3]);
    expect(h.received.map((e) => e.id)).toEqual([first, second, ...later]);
    h.setAutoAck(true);
    h.send({ type: 'ack', ids: [second, ...later] });
    expect(await l.flush(10_000)).toBe(true);
  });

  it('answers each command exactly once with the handler outcome', async () => {
    const h = await hub();
    const seen: Command[] = [];
    const { link: l } = link(h, {
      command: async (command): Promise<CommandOutcome> => {
        seen.push(command);
        return { ok: false, error: { code: 'SESSION_NOT_FOUND', message: 'nope' } };
      },
    });
    l.start();
    await once(l, 'ready');
    const results: unknown[] = [];
    h.events.on('result', (r) => results.push(r));
    h.send(sendText('c1'));
    await once(h.events, 'result');
    h.send(sendText('c2'));
    await once(h.events, 'result');
    expect(results).toEqual([
      { type: 'result', id: 'c1', ok: false, error: { code: 'SESSION_NOT_FOUND', message: 'nope' } },
      { type: 'result', id: 'c2', ok: false, error: { code: 'SESSION_NOT_FOUND', message: 'nope' } },
    ]);
    expect(seen).toHaveLength(2);
  });

  it('answers a command whose frame does not parse with INVALID_COMMAND', async () => {
    const h = await hub();
    const { link: l } = link(h);
    l.start();
    await once(l, 'ready');
    const result = once(h.events, 'result');
    h.send({ type: 'command', id: 'bad', deadline: 1, command: { name: 'send.text', sessionId: 's1', to: 'not-a-number', text: 'x' } } as never);
    const [frame] = await result;
    expect(frame).toMatchObject({ id: 'bad', ok: false, error: { code: 'INVALID_COMMAND' } });
  });

  it('answers the commands that finish in one turn together, in one results frame', async () => {
    const h = await hub();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const { link: l } = link(h, {
      command: async (command): Promise<CommandOutcome> => {
        started++;
        await gate;
        return { ok: true, data: { messageId: command.name === 'send.text' ? command.text : '', remoteJid: 'x@s.whatsapp.net', timestamp: 1 } };
      },
    });
    l.start();
    await once(l, 'ready');
    const results: Array<{ id: string; ok: boolean }> = [];
    const batches: number[] = [];
    h.events.on('result', (r) => results.push(r));
    h.events.on('results', (n) => batches.push(n));
    for (let i = 0; i < 5; i++) h.send(sendText(`b${i}`));
    await eventually(() => expect(started).toBe(5));
    release();
    await eventually(() => expect(results).toHaveLength(5));
    expect(batches).toEqual([5]);
    expect(results.map((r) => r.id).sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
  });

  it("sends a command's result and the event it stored in one frame, the result first", async () => {
    const h = await hub({ autoAck: true });
    let l!: HubLink;
    ({ link: l } = link(h, {
      command: async (command): Promise<CommandOutcome> => {
        // As a send does: its message.sent is in the outbox before it answers.
        await outbox.add('s1', { name: 'message.sent', messageId: 'WA1', to: '6281234567890', text: 'hi', timestamp: 1 });
        l.notifyOutbox();
        return { ok: true, data: { messageId: command.name === 'send.text' ? 'WA1' : '', remoteJid: '6281234567890@s.whatsapp.net', timestamp: 1 } };
      },
    }));
    l.start();
    await once(l, 'ready');
    const frames: string[] = [];
    const order: string[] = [];
    h.events.on('frame', (type) => frames.push(type));
    h.events.on('result', (r) => order.push(`result ${r.id}`));
    h.events.on('event', (e) => order.push(`event ${e.event.name}`));
    h.send(sendText('one'));
    await eventually(() => expect(order).toHaveLength(2));
    expect(order).toEqual(['result one', 'event message.sent']);
    expect(frames).toEqual(['results']);
    expect(await l.flush(10_000)).toBe(true);
  });

  it('runs each command of a commands frame and refuses a malformed item alone with INVALID_COMMAND', async () => {
    const h = await hub();
    const seen: Command[] = [];
    const { link: l } = link(h, {
      command: async (command): Promise<CommandOutcome> => {
        seen.push(command);
        return { ok: true, data: { messageId: 'M', remoteJid: 'x@s.whatsapp.net', timestamp: 1 } };
      },
    });
    l.start();
    await once(l, 'ready');
    const results: Array<{ id: string; ok: boolean; error?: { code: string } }> = [];
    h.events.on('result', (r) => results.push(r));
    const bad = { type: 'command', id: 'bad', deadline: 1, command: { name: 'send.text', sessionId: 's1', to: 'not-a-number', text: 'x' } };
    h.send({ type: 'commands', commands: [sendText('k1'), bad, 'not even an object', null, sendText('k2')] });
    await eventually(() => expect(results).toHaveLength(3));
    expect(seen).toHaveLength(2);
    expect(Object.fromEntries(results.map((r) => [r.id, r.ok ? 'ok' : r.error?.code]))).toEqual({ k1: 'ok', k2: 'ok', bad: 'INVALID_COMMAND' });
    // The link is still up and answering.
    h.send(sendText('after'));
    await eventually(() => expect(results.map((r) => r.id)).toContain('after'));
  });

  it('answers every command of a commands frame refused whole (over the batch limit) with INVALID_COMMAND', async () => {
    const h = await hub();
    const seen: Command[] = [];
    const { link: l } = link(h, { command: async (command) => (seen.push(command), { ok: true, data: { messageId: 'M', remoteJid: 'x@s.whatsapp.net', timestamp: 1 } }) });
    l.start();
    await once(l, 'ready');
    const results: Array<{ id: string; ok: boolean; error?: { code: string } }> = [];
    h.events.on('result', (r) => results.push(r));
    const commands = Array.from({ length: FRAME_BATCH_MAX + 1 }, (_, i) => sendText(`over-${i}`));
    h.send({ type: 'commands', commands });
    await eventually(() => expect(results).toHaveLength(FRAME_BATCH_MAX + 1));
    expect(results.every((r) => !r.ok && r.error?.code === 'INVALID_COMMAND')).toBe(true);
    expect(seen).toHaveLength(0);
  });

  it('turns a throwing command handler into SEND_FAILED', async () => {
    const h = await hub();
    const { link: l } = link(h, {
      command: async () => {
        throw new Error('boom');
      },
    });
    l.start();
    await once(l, 'ready');
    const result = once(h.events, 'result');
    h.send(sendText('c3'));
    expect((await result)[0]).toEqual({ type: 'result', id: 'c3', ok: false, error: { code: 'SEND_FAILED', message: 'boom' } });
  });

  it('answers SHUTTING_DOWN while draining and still delivers the running command result', async () => {
    const h = await hub();
    let release!: () => void;
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const { link: l } = link(h, {
      command: async () => {
        markStarted();
        await new Promise<void>((resolve) => (release = resolve));
        return { ok: true, data: { messageId: 'slow', remoteJid: '6281234567890@s.whatsapp.net', timestamp: 1 } };
      },
    });
    l.start();
    await once(l, 'ready');
    const results: Array<{ id: string; ok: boolean }> = [];
    h.events.on('result', (r) => results.push(r));
    h.send(sendText('running'));
    await started;
    const drained = l.stopTakingCommands(10_000);
    const refused = once(h.events, 'result');
    h.send(sendText('late'));
    await refused;
    expect(results).toEqual([{ type: 'result', id: 'late', ok: false, error: { code: 'SHUTTING_DOWN', message: 'connector is shutting down' } }]);
    release();
    await drained;
    await new Promise<void>((resolve) => (results.length === 2 ? resolve() : h.events.once('result', () => resolve())));
    expect(results.map((r) => [r.id, r.ok])).toEqual([
      ['late', false],
      ['running', true],
    ]);
  });

  it('pings every heartbeat and reconnects when pongs stop coming', async () => {
    const h = await hub({ heartbeatMs: 50 });
    const { link: l } = link(h);
    l.start();
    await once(l, 'ready');
    await once(h.events, 'ping');
    h.setPongs(false);
    const [{ code }] = await once(l, 'disconnected');
    expect(code).toBe(1006);
    h.setPongs(true);
    await once(l, 'ready');
  });
});
