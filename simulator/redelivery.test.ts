// Contact messages whose device connection dies before the device's receipt: kept and redelivered at the
// next login, as WhatsApp does, through real Baileys. The cut is made deterministic on the client side:
// the device stops reading its socket (it never saw the message), or loses everything it writes (it
// decrypted the message but its receipt never left).
import { Curve, encodeBigEndian, initAuthCreds, xmppPreKey, xmppSignedPreKey } from '@whiskeysockets/baileys';
import type { AuthenticationState, BinaryNode } from '@whiskeysockets/baileys';
import * as libsignal from 'libsignal';
import type { SessionRecord } from 'libsignal';
import { describe, expect, test } from 'vitest';
import { useSimulator } from './test-fixture.ts';
import type { WebSocket } from 'ws';
import { Contact, unpad } from './contacts.ts';
import { retryBundle } from './messaging.ts';
import type { Simulator } from './server.ts';
import { connectClient, linkClient } from './test-client.ts';
import type { TestClient } from './test-client.ts';

let simulator: Simulator;
const track = useSimulator((started) => (simulator = started));

type Upsert = { id: string; text: string; type: string };

/** What the app would see: every contact text any of the device's sockets upserts, in order. */
function collectTexts(client: TestClient, into: Upsert[]): void {
  client.sock.ev.on('messages.upsert', ({ messages, type }) => {
    for (const message of messages) {
      const text = message.message?.conversation;
      if (!message.key.fromMe && message.key.id && typeof text === 'string') into.push({ id: message.key.id, text, type });
    }
  });
}

/** The ws WebSocket under Baileys' client (a protected field there). */
function rawSocket(client: TestClient): WebSocket {
  return (client.sock.ws as unknown as { socket: WebSocket }).socket;
}

/** The offline ib's count: how many stanzas the simulator flushed at this login. */
function offlineCount(client: TestClient): Promise<number> {
  return new Promise((resolve) => {
    client.sock.ws.on('CB:ib,,offline', (node: BinaryNode) => {
      const child = Array.isArray(node.content) ? node.content.find((c) => c.tag === 'offline') : undefined;
      resolve(Number(child?.attrs.count));
    });
  });
}

/**
 * The contact sends `text` and the device decrypts it (and stores its Signal state), but everything it
 * writes from then on is lost, its receipt included, until the simulator cuts the connection.
 */
async function decryptWithoutReceipt(client: TestClient, phone: string, contact: string, text: string): Promise<{ id: string }> {
  const socket = rawSocket(client);
  client.sock.ws.on('frame', (frame: BinaryNode | Uint8Array) => {
    if (!(frame instanceof Uint8Array) && frame.tag === 'message') {
      socket.send = ((_data: unknown, done?: (error?: Error) => void) => done?.()) as typeof socket.send;
    }
  });
  const receipts: string[] = [];
  const stopWatching = simulator.events.on('receipt-received', (receipt) => receipt.from === phone && receipts.push(receipt.id));
  const decrypted = client.next('messages.upsert', ({ messages }) => messages.some((m) => m.message?.conversation === text));
  const { id } = await simulator.contactSend(contact, phone, text);
  await decrypted;
  const requeued = simulator.events.waitFor('messages-requeued', (event) => event.phone === phone);
  simulator.drop(phone);
  expect((await requeued).ids).toEqual([id]);
  stopWatching();
  expect(receipts).toEqual([]);
  client.end();
  return { id };
}

/** The same auth state, but the device has lost every Signal session it had so far (say, a bad restore). */
function withoutOldSessions(state: AuthenticationState): AuthenticationState {
  const fresh = new Set<string>();
  return {
    creds: state.creds,
    keys: {
      get: (type, ids) => state.keys.get(type, type === 'session' ? ids.filter((id) => fresh.has(id)) : ids),
      set: (data) => {
        for (const id of Object.keys(data.session ?? {})) fresh.add(id);
        return state.keys.set(data);
      },
    },
  };
}

/** The device's next login with the same auth state, collecting what it upserts. */
function reconnect(client: TestClient, into: Upsert[]): TestClient {
  const again = connectClient(simulator.wsUrl, { state: client.state });
  track(again);
  collectTexts(again, into);
  return again;
}

describe('a contact message whose connection dies before the receipt', () => {
  test('never reached the device: the same stanza is redelivered offline at the next login and upserted once', async () => {
    const phone = '6282200000101';
    const contact = '6289900000101';
    const upserts: Upsert[] = [];
    const client = await linkClient(simulator, phone, track);
    collectTexts(client, upserts);
    // The device stops reading: the simulator writes the message to a live connection, Baileys never sees it.
    const socket = rawSocket(client);
    socket.pause();
    const { id } = await simulator.contactSend(contact, phone, 'across the cut');

    const requeued = simulator.events.waitFor('messages-requeued', (event) => event.phone === phone);
    simulator.drop(phone);
    expect((await requeued).ids).toEqual([id]);
    // end() removes Baileys' message listeners first, so what the socket still holds is read and dropped.
    client.end();
    socket.resume();

    const receipted = simulator.events.waitFor('receipt-received', (receipt) => receipt.id === id);
    const retried: string[] = [];
    const stopWatching = simulator.events.on('retry-received', (retry) => retried.push(retry.id));
    const again = reconnect(client, upserts);
    const flushed = offlineCount(again);
    await again.next('messages.upsert', ({ messages }) => messages.some((m) => m.key.id === id));
    await receipted;
    stopWatching();
    expect(await flushed).toBe(1);
    // The ciphertext was never decrypted, so the resent copy decrypts: no retry needed.
    expect(retried).toEqual([]);
    expect(upserts).toEqual([{ id, text: 'across the cut', type: 'append' }]);
  });

  test('decrypted but its receipt was lost: Baileys nacks the spent ciphertext (487), which settles it', async () => {
    const phone = '6282200000102';
    const contact = '6289900000102';
    const upserts: Upsert[] = [];
    const client = await linkClient(simulator, phone, track);
    collectTexts(client, upserts);
    const { id } = await decryptWithoutReceipt(client, phone, contact, 'decrypted once');

    const nacked = simulator.events.waitFor('nack-received', (nack) => nack.id === id);
    const retried: string[] = [];
    const stopWatching = simulator.events.on('retry-received', (retry) => retried.push(retry.id));
    const again = reconnect(client, upserts);
    const flushed = offlineCount(again);
    expect(await nacked).toMatchObject({ from: phone, to: contact, error: '487', settled: true });
    expect(await flushed).toBe(1);
    // Baileys drops a copy whose message key it already spent: the app saw the message once.
    expect(upserts).toEqual([{ id, text: 'decrypted once', type: 'notify' }]);

    // Settled: the login after next has nothing to redeliver.
    const disconnected = simulator.events.waitFor('device-disconnected', (event) => event.phone === phone);
    simulator.drop(phone);
    await disconnected;
    again.end();
    const third = reconnect(client, upserts);
    expect(await offlineCount(third)).toBe(0);
    stopWatching();
    expect(retried).toEqual([]);
  });

  test('a device that also lost its Signal session asks for a retry and gets a fresh encryption', async () => {
    const phone = '6282200000104';
    const contact = '6289900000104';
    const upserts: Upsert[] = [];
    const client = await linkClient(simulator, phone, track);
    collectTexts(client, upserts);
    const { id } = await decryptWithoutReceipt(client, phone, contact, 'sent again');

    const retry = simulator.events.waitFor('retry-received', (event) => event.id === id);
    const receipted = simulator.events.waitFor('receipt-received', (receipt) => receipt.id === id);
    // Without its session, and with the one-time prekey the pkmsg names already used, the device cannot decrypt the copy.
    const again = connectClient(simulator.wsUrl, { state: withoutOldSessions(client.state) });
    track(again);
    collectTexts(again, upserts);
    const redelivered = again.next('messages.upsert', ({ messages }) => messages.some((m) => m.key.id === id && !!m.message));
    expect(await retry).toMatchObject({ from: phone, to: contact, count: 1 });
    await redelivered;
    await receipted;
    // Baileys upserts it once per socket that decrypted it; by id, the app has it once.
    expect(upserts.map((u) => [u.id, u.text])).toEqual([
      [id, 'sent again'],
      [id, 'sent again'],
    ]);
  });

  test('is not redelivered once the device receipted it', async () => {
    const phone = '6282200000103';
    const contact = '6289900000103';
    const upserts: Upsert[] = [];
    const client = await linkClient(simulator, phone, track);
    collectTexts(client, upserts);
    const receipted = simulator.events.waitFor('receipt-received', (receipt) => receipt.from === phone);
    const upserted = client.next('messages.upsert', ({ messages }) => messages.some((m) => m.message?.conversation === 'receipted'));
    const { id: first } = await simulator.contactSend(contact, phone, 'receipted');
    expect((await receipted).id).toBe(first);
    await upserted;

    const disconnected = simulator.events.waitFor('device-disconnected', (event) => event.phone === phone);
    const requeued: string[][] = [];
    const stopWatching = simulator.events.on('messages-requeued', (event) => event.phone === phone && requeued.push(event.ids));
    simulator.drop(phone);
    await disconnected;
    stopWatching();
    expect(requeued).toEqual([]);
    client.end();
    // One message while it is away, so the next login has a backlog to compare with.
    const { id: second } = await simulator.contactSend(contact, phone, 'while away');

    const again = reconnect(client, upserts);
    const flushed = offlineCount(again);
    await again.next('messages.upsert', ({ messages }) => messages.some((m) => m.key.id === second));
    expect(await flushed).toBe(1);
    expect(upserts).toEqual([
      { id: first, text: 'receipted', type: 'notify' },
      { id: second, text: 'while away', type: 'append' },
    ]);
  });
});

describe('a retry receipt with keys', () => {
  // Baileys sends keys from the second retry on, which the Baileys tests above do not reach; so this
  // builds such a receipt as Baileys does (sendRetryRequest) and decrypts with plain libsignal.
  test('gives a bundle the contact starts a new session from, which the device can decrypt', async () => {
    const creds = initAuthCreds();
    const preKey = { id: 7, pair: Curve.generateKeyPair() };
    const receipt: BinaryNode = {
      tag: 'receipt',
      attrs: { id: '3EB0RETRY', type: 'retry', to: '6289900000105@s.whatsapp.net' },
      content: [
        { tag: 'retry', attrs: { count: '2', id: '3EB0RETRY', t: '1', v: '1', error: '0' } },
        { tag: 'registration', attrs: {}, content: encodeBigEndian(creds.registrationId) },
        {
          tag: 'keys',
          attrs: {},
          content: [
            { tag: 'type', attrs: {}, content: Buffer.from([5]) },
            { tag: 'identity', attrs: {}, content: creds.signedIdentityKey.public },
            xmppPreKey(preKey.pair, preKey.id),
            xmppSignedPreKey(creds.signedPreKey),
          ],
        },
      ],
    };
    const bundle = retryBundle(receipt);
    expect(bundle).toMatchObject({ registrationId: creds.registrationId, preKey: { keyId: 7 }, signedPreKey: { keyId: creds.signedPreKey.keyId } });

    const contact = new Contact('6289900000105');
    const plaintext = Buffer.from('from the retry keys');
    const { type, ciphertext } = await contact.encrypt({ name: '6282200000105', device: 1 }, plaintext, () => bundle, { newSession: true });
    expect(type).toBe('pkmsg');

    const prefixed = (key: Uint8Array) => Buffer.concat([Buffer.from([5]), key]);
    const pair = (keys: { public: Uint8Array; private: Uint8Array }) => ({ pubKey: prefixed(keys.public), privKey: Buffer.from(keys.private) });
    const sessions = new Map<string, SessionRecord>();
    const device = new libsignal.SessionCipher(
      {
        loadSession: async (id) => sessions.get(id),
        storeSession: async (id, record) => {
          sessions.set(id, record);
        },
        isTrustedIdentity: () => true,
        loadPreKey: async (id) => (Number(id) === preKey.id ? pair(preKey.pair) : undefined),
        removePreKey: () => {},
        loadSignedPreKey: () => pair(creds.signedPreKey.keyPair),
        getOurRegistrationId: () => creds.registrationId,
        getOurIdentity: () => pair(creds.signedIdentityKey),
      },
      new libsignal.ProtocolAddress('6289900000105', 0),
    );
    expect(unpad(await device.decryptPreKeyWhisperMessage(ciphertext))).toEqual(plaintext);
  });
});
