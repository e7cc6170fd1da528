// libsignal runs the jobs of one Signal address (every session's sends to one contact device) in one queue per
// process, and Baileys finds a send's transaction through AsyncLocalStorage. A job queued behind another
// session's must still run in its own session's transaction: there is the Signal session its send just fetched.
// Real Baileys and libsignal; two in-memory key stores, one of which can hold a read (as a database read waits).
import {
  DEFAULT_CONNECTION_CONFIG,
  addTransactionCapability,
  generateSignalPubKey,
  initAuthCreds,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Contact, pad } from '../simulator/contacts.ts';

const logger = pino({ level: 'silent' });
const PN = '6289900000042@s.whatsapp.net';
const LID = '100000000000042@lid';

/** A key store in memory whose next read of `type` can be held until released. */
function heldStore() {
  const data = new Map<string, unknown>();
  let hold: { type: string; reached: () => void; released: Promise<void> } | null = null;
  const store: SignalKeyStore = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      if (hold?.type === type) {
        const { reached, released } = hold;
        hold = null;
        reached();
        await released;
      }
      const found: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) if (data.has(`${type}/${id}`)) found[id] = data.get(`${type}/${id}`) as SignalDataTypeMap[T];
      return found;
    },
    async set(set: SignalDataSet) {
      for (const [type, entries] of Object.entries(set)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value === null || value === undefined) data.delete(`${type}/${id}`);
          else data.set(`${type}/${id}`, value);
        }
      }
    },
  };
  /** Holds the next read of `type`; resolves once a read reached the hold, with the function releasing it. */
  const holdNext = (type: string) =>
    new Promise<() => void>((resolveReached) => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      hold = { type, reached: () => resolveReached(release), released };
    });
  return { store, holdNext };
}

/** One linked device's Signal repository as a Baileys socket builds it. */
function device(store: SignalKeyStore) {
  const keys = addTransactionCapability(store, logger, { maxCommitRetries: 1, delayBetweenTriesMs: 0 });
  const repository = DEFAULT_CONNECTION_CONFIG.makeSignalRepository({ creds: initAuthCreds(), keys }, logger, async () => undefined);
  return { keys, repository };
}

/** The contact's keys as WhatsApp's server hands them out, with a one-time prekey of their own. */
function bundle(contact: Contact) {
  const preKey = contact.takePreKey();
  return {
    registrationId: contact.registrationId,
    identityKey: contact.identity.pubKey,
    signedPreKey: { keyId: contact.signedPreKey.keyId, publicKey: contact.signedPreKey.keyPair.pubKey, signature: contact.signedPreKey.signature },
    preKey: { keyId: preKey.id, publicKey: generateSignalPubKey(preKey.publicKey) },
  };
}

describe('Signal jobs of two sessions to one contact', () => {
  it('a first send queued behind another session encrypts with the session its own transaction fetched', async () => {
    const contact = new Contact('6289900000042');
    const a = heldStore();
    const alpha = device(a.store);
    const bravo = device(heldStore().store);

    // alpha has messaged the contact before: its Signal session is stored.
    await alpha.repository.injectE2ESession({ jid: PN, session: bundle(contact) });
    // alpha sends again; its job on the contact's address waits for the store.
    const reached = a.holdNext('session');
    const alphaSend = alpha.keys.transaction(() => alpha.repository.encryptMessage({ jid: PN, data: pad(Buffer.from('from alpha')) }), 'alpha');
    const release = await reached;

    // bravo's first send, as relayMessage makes it: the contact's LID is known, the keys are fetched for the LID
    // and the session injected in the send's transaction, then the message is encrypted for the phone number.
    await bravo.repository.lidMapping.storeLIDPNMappings([{ lid: LID, pn: PN }]);
    const bravoSend = bravo.keys.transaction(async () => {
      await bravo.repository.injectE2ESession({ jid: LID, session: bundle(contact) });
      const encrypted = bravo.repository.encryptMessage({ jid: PN, data: pad(Buffer.from('from bravo')) });
      // Only promise continuations lie between this call and its job joining the address's queue: by the next
      // turn of the event loop it waits there, behind alpha's.
      await new Promise((resolve) => setImmediate(resolve));
      release();
      return encrypted;
    }, 'bravo');

    const [fromAlpha, fromBravo] = await Promise.all([alphaSend, bravoSend]);
    expect(fromBravo.type).toBe('pkmsg');
    expect((await contact.decrypt({ name: 'bravo', device: 0 }, fromBravo.type, Buffer.from(fromBravo.ciphertext))).toString()).toBe('from bravo');
    expect((await contact.decrypt({ name: 'alpha', device: 0 }, fromAlpha.type, Buffer.from(fromAlpha.ciphertext))).toString()).toBe('from alpha');
    // bravo's transaction committed the session as its send left it: the next message continues that chain.
    const next = await bravo.keys.transaction(() => bravo.repository.encryptMessage({ jid: PN, data: pad(Buffer.from('bravo again')) }), 'bravo');
    expect((await contact.decrypt({ name: 'bravo', device: 0 }, next.type, Buffer.from(next.ciphertext))).toString()).toBe('bravo again');
  });
});
