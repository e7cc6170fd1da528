import type { BinaryNode } from '@whiskeysockets/baileys';
import { proto } from '@whiskeysockets/baileys';
import { describe, expect, test } from 'vitest';
import { useSimulator } from './test-fixture.ts';
import { startSimulator } from './server.ts';
import type { Simulator } from './server.ts';
import { connectClient, linkClient } from './test-client.ts';
import type { TestClient } from './test-client.ts';

const { DELIVERY_ACK, READ } = proto.WebMessageInfo.Status;

let simulator: Simulator;
const track = useSimulator((started) => (simulator = started));

describe('sending', () => {
  test("a message Baileys sends is acked and lands decrypted in the contact's inbox", async () => {
    const client = await linkClient(simulator, '6282200000001', track);
    const stored = simulator.events.waitFor('message-stored', (message) => message.to === '6289900000001');
    const acked = new Promise<BinaryNode>((resolve) => client.sock.ws.on('CB:ack,class:message', resolve));
    const sent = await client.sock.sendMessage('6289900000001@s.whatsapp.net', { text: 'halo dari gateway' });
    expect((await acked).attrs.id).toBe(sent!.key.id);
    expect(await stored).toMatchObject({ id: sent!.key.id, from: '6282200000001', text: 'halo dari gateway' });
    expect(simulator.inbox('6289900000001')).toEqual([
      {
        id: sent!.key.id,
        from: '6282200000001',
        text: 'halo dari gateway',
        timestamp: expect.any(Number),
        kind: 'text',
        content: expect.objectContaining({ extendedTextMessage: { text: 'halo dari gateway' } }),
      },
    ]);
  });

  test('delivered and read receipts for a sent message reach Baileys, folded into its upsert or as updates', async () => {
    const client = await linkClient(simulator, '6282200000002', track);
    const stored = simulator.events.waitFor('message-stored', (message) => message.to === '6289900000002');
    // Baileys reports a status in an update, or, for a receipt that lands while it still buffers the
    // upsert of its own sent message (about 100 ms), in that upsert: both are where WhatsApp's statuses go.
    const statuses: number[] = [];
    let id: string | undefined;
    const seen = (status: number) => new Promise<void>((resolve) => {
      const check = () => statuses.includes(status) && resolve();
      client.sock.ev.on('messages.upsert', ({ messages }) => {
        for (const m of messages) if (m.key.fromMe && m.key.id === id && (m.status ?? 0) >= DELIVERY_ACK) statuses.push(m.status!);
        check();
      });
      client.sock.ev.on('messages.update', (updates) => {
        for (const u of updates) if (u.key.id === id && typeof u.update.status === 'number') statuses.push(u.update.status);
        check();
      });
    });
    const delivered = seen(DELIVERY_ACK);
    const read = seen(READ);
    const sent = await client.sock.sendMessage('6289900000002@s.whatsapp.net', { text: 'status please' });
    id = sent!.key.id!;
    await stored;
    simulator.receipt(id, 'delivered');
    await delivered;
    simulator.receipt(id, 'read');
    await read;
    expect([...new Set(statuses)]).toEqual([DELIVERY_ACK, READ]);
  });

  test("the own phone is in the device list, so Baileys caches it and asks once, not on every send", async () => {
    const client = await linkClient(simulator, '6282200000004', track);
    const iqs: string[] = [];
    const count = (iq: { phone?: string | undefined; xmlns: string }) => iq.phone === '6282200000004' && iqs.push(iq.xmlns);
    const stop = simulator.events.on('iq-answered', count);
    for (const text of ['one', 'two', 'three']) {
      const stored = simulator.events.waitFor('message-stored', (message) => message.text === text && message.from === '6282200000004');
      await client.sock.sendMessage('6289900000004@s.whatsapp.net', { text });
      await stored;
    }
    stop();
    // One device lookup and one key fetch for the first send; a lookup per send would also force a new
    // Signal session with the phone each time, growing its stored record without end.
    expect(iqs.filter((x) => x === 'usync')).toHaveLength(1);
    expect(iqs.filter((x) => x === 'encrypt')).toHaveLength(1);
  });
});

describe('receiving', () => {
  test("a contact's first message arrives as pkmsg, and after Baileys replies the next arrives as msg", async () => {
    const client = await linkClient(simulator, '6282200000003', track);
    const texts: string[] = [];
    const upserts = (count: number) =>
      client.next('messages.upsert', ({ messages, type }) => {
        for (const message of messages) {
          if (!message.key.fromMe && type === 'notify') texts.push(message.message?.conversation ?? '');
        }
        return texts.length === count;
      });
    const firstUpsert = upserts(1);
    const first = simulator.events.waitFor('contact-message-sent', (event) => event.from === '6289900000003');
    await simulator.contactSend('6289900000003', '6282200000003', 'first');
    expect((await first).types).toEqual(['pkmsg']);
    await firstUpsert;

    // Signal keeps sending prekey messages until the other side has answered once.
    const stored = simulator.events.waitFor('message-stored', (message) => message.to === '6289900000003');
    await client.sock.sendMessage('6289900000003@s.whatsapp.net', { text: 'reply' });
    await stored;
    const secondUpsert = upserts(2);
    const second = simulator.events.waitFor('contact-message-sent', (event) => event.from === '6289900000003');
    await simulator.contactSend('6289900000003', '6282200000003', 'second');
    expect((await second).types).toEqual(['msg']);
    await secondUpsert;
    expect(texts).toEqual(['first', 'second']);
  });

  test("Baileys' read receipt for a contact's message is reported by the simulator", async () => {
    const client = await linkClient(simulator, '6282200000004', track);
    const upsert = client.next('messages.upsert', ({ messages }) => messages.some((m) => !m.key.fromMe));
    const { id } = await simulator.contactSend('6289900000004', '6282200000004', 'read me');
    const message = (await upsert).messages.find((m) => m.key.id === id)!;
    expect(message.key.remoteJid).toBe('6289900000004@s.whatsapp.net');
    const read = simulator.events.waitFor('receipt-received', (receipt) => receipt.id === id && receipt.type === 'read');
    await client.sock.readMessages([message.key]);
    expect(await read).toMatchObject({ from: '6282200000004', to: '6289900000004' });
  });

  test('messages sent while the device is offline are delivered after it reconnects', async () => {
    const client = await linkClient(simulator, '6282200000005', track);
    const disconnected = simulator.events.waitFor('device-disconnected', (event) => event.phone === '6282200000005');
    client.end();
    await disconnected;
    await simulator.contactSend('6289900000005', '6282200000005', 'while you were away');
    const again = connectClient(simulator.wsUrl, { state: client.state });
    track(again);
    const { messages } = await again.next('messages.upsert', (u) => u.messages.some((m) => !m.key.fromMe));
    expect(messages[0]?.message?.conversation).toBe('while you were away');
  });
});

describe('automatic receipts', () => {
  test('with autoReceipts "read", contacts mark every received message read without being asked', async () => {
    const auto = await startSimulator({ autoReceipts: 'read', receiptDelayMaxMs: 0 });
    let client: TestClient | undefined;
    try {
      client = await linkClient(auto, '6282200000006', (linked) => (client = linked));
      const sent = await client.sock.sendMessage('6289900000006@s.whatsapp.net', { text: 'auto' });
      // Receipts at once: the read status may come folded into the upsert of the sent message.
      const isRead = (m: { key: { id?: string | null }; status?: number | null }) => m.key.id === sent!.key.id && m.status === READ;
      await Promise.race([
        client.next('messages.update', (updates) => updates.some((u) => isRead({ key: u.key, status: u.update.status }))),
        client.next('messages.upsert', ({ messages }) => messages.some(isRead)),
      ]);
    } finally {
      client?.end();
      await auto.close();
    }
  });
});
