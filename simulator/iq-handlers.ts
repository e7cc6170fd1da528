// Answers to the iqs Baileys sends: prekeys (count, upload, digest, bundles, rotation), passive,
// ping, usync device/LID lookups, logout, the reach-out time lock's w:mex query, and an empty result for everything else. Every iq gets an
// answer, because an unanswered one costs the client defaultQueryTimeoutMs.
import { getBinaryNodeChild, getBinaryNodeChildren } from '@whiskeysockets/baileys';
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { Connection } from './connection.ts';
import type { LinkedDevice } from './device-registry.ts';
import { resolveJid, SERVER_JID } from './directory.ts';
import { handleGroupIq } from './group-iqs.ts';
import { onCompanionFinish, onCompanionHello } from './link-code.ts';
import { mediaConnNode } from './media-conn.ts';
import { reachoutLockResult, REACHOUT_TIMELOCK_QUERY_ID } from './reachout-locks.ts';
import type { World } from './world.ts';

const KEY_TYPE_DJB = Buffer.from([5]);

function result(iq: BinaryNode, content?: BinaryNode[]): BinaryNode {
  return { tag: 'iq', attrs: { from: SERVER_JID, type: 'result', id: iq.attrs.id ?? '' }, ...(content ? { content } : {}) };
}

function bytes(node: BinaryNode | undefined): Buffer | undefined {
  return node?.content instanceof Uint8Array ? Buffer.from(node.content) : undefined;
}

function uintBE(node: BinaryNode | undefined): number | undefined {
  const value = bytes(node);
  return value && value.length > 0 && value.length <= 6 ? value.readUIntBE(0, value.length) : undefined;
}

function bigEndian(value: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  out.writeUIntBE(value, 0, length);
  return out;
}

function children(node: BinaryNode | undefined): BinaryNode[] {
  return Array.isArray(node?.content) ? node.content : [];
}

export function handleIq(world: World, connection: Connection, iq: BinaryNode): void {
  answerIq(world, connection, iq);
  world.events.emit('iq-answered', {
    phone: connection.device?.phone,
    xmlns: iq.attrs.xmlns ?? '',
    type: iq.attrs.type ?? '',
  });
}

function answerIq(world: World, connection: Connection, iq: BinaryNode): void {
  const device = connection.device;
  const first = children(iq)[0];
  const { xmlns, type } = iq.attrs;
  if (xmlns === 'encrypt' && device) {
    if (first?.tag === 'count') {
      connection.send(result(iq, [{ tag: 'count', attrs: { value: String(device.preKeys.size) } }]));
      return;
    }
    if (first?.tag === 'digest') {
      // Baileys only checks that a digest node is there; a real server sends a hash of the bundle.
      connection.send(result(iq, [{ tag: 'digest', attrs: {} }]));
      return;
    }
    if (first?.tag === 'key') {
      const bundles = keyBundles(world, first);
      connection.send(result(iq, [{ tag: 'list', attrs: {}, content: bundles }]));
      const phones = bundles.flatMap((user) => resolveJid(world.directory, user.attrs.jid ?? '')?.phone ?? []);
      world.events.emit('bundles-fetched', { phone: device.phone, phones });
      return;
    }
    if (type === 'set') {
      storeKeys(device, iq);
      connection.send(result(iq));
      return;
    }
  }
  if (xmlns === 'w:g2') {
    handleGroupIq(world, connection, iq);
    return;
  }
  if (xmlns === 'passive') {
    connection.send(result(iq));
    if (first?.tag === 'active') connection.goOnline();
    return;
  }
  if (xmlns === 'w:m' && first?.tag === 'media_conn' && world.media) {
    connection.send(result(iq, [mediaConnNode(world.media)]));
    return;
  }
  if (xmlns === 'usync') {
    connection.send(result(iq, [usync(world, device, getBinaryNodeChild(iq, 'usync'))]));
    return;
  }
  if (xmlns === 'privacy' && type === 'get' && first?.tag === 'privacy') {
    // With read receipts "all", Baileys' readMessages sends type="read" rather than "read-self".
    connection.send(
      result(iq, [{ tag: 'privacy', attrs: {}, content: [{ tag: 'category', attrs: { name: 'readreceipts', value: 'all' } }] }]),
    );
    return;
  }
  if (xmlns === 'privacy' && type === 'set' && first?.tag === 'tokens' && device) {
    world.privacyTokens.record(world.directory, device.phone, iq);
    connection.send(result(iq));
    return;
  }
  if (xmlns === 'md' && first?.tag === 'link_code_companion_reg') {
    // Answered first: companion_finish is a query the device waits on before it expects pair-success.
    connection.send(result(iq));
    if (first.attrs.stage === 'companion_hello') onCompanionHello(world, connection, first);
    else if (first.attrs.stage === 'companion_finish') onCompanionFinish(world, connection, first);
    return;
  }
  if (xmlns === 'md' && first?.tag === 'remove-companion-device' && device) {
    // The device logged itself out: forget it, as the phone would.
    world.registry.remove(device.phone, device.device);
    world.events.emit('device-unlinked', { phone: device.phone, device: device.device });
  }
  if (xmlns === 'w:mex' && first?.tag === 'query' && first.attrs.query_id === REACHOUT_TIMELOCK_QUERY_ID && device) {
    connection.send(result(iq, [reachoutLockResult(world, device.phone)]));
    return;
  }
  if (xmlns === 'w:profile:picture' && type === 'get') {
    connection.send(profilePicture(world, iq));
    return;
  }
  // Ping (w:p), abt, blocklist, privacy, ...: an empty result satisfies Baileys.
  connection.send(result(iq));
}

/** Prekey upload (registration, identity, one-time keys, signed prekey) and signed prekey rotation. */
function storeKeys(device: LinkedDevice, iq: BinaryNode): void {
  const rotate = getBinaryNodeChild(iq, 'rotate');
  const skey = getBinaryNodeChild(rotate ?? iq, 'skey');
  const skeyId = uintBE(getBinaryNodeChild(skey, 'id'));
  const skeyValue = bytes(getBinaryNodeChild(skey, 'value'));
  const skeySignature = bytes(getBinaryNodeChild(skey, 'signature'));
  if (skeyId !== undefined && skeyValue && skeySignature) {
    device.signedPreKey = { id: skeyId, publicKey: skeyValue, signature: skeySignature };
  }
  const registrationId = uintBE(getBinaryNodeChild(iq, 'registration'));
  if (registrationId !== undefined) device.registrationId = registrationId;
  const identity = bytes(getBinaryNodeChild(iq, 'identity'));
  if (identity?.length === 32) device.identityKey = identity;
  const preKeys: { id: number; publicKey: Buffer }[] = [];
  for (const key of getBinaryNodeChildren(getBinaryNodeChild(iq, 'list'), 'key')) {
    const id = uintBE(getBinaryNodeChild(key, 'id'));
    const publicKey = bytes(getBinaryNodeChild(key, 'value'));
    if (id !== undefined && publicKey?.length === 32) preKeys.push({ id, publicKey });
  }
  if (preKeys.length > 0) device.preKeys.add(preKeys);
}

/**
 * Bundles for the requested users, answered under the jid they were asked by (Baileys asks by LID).
 * Unknown users are left out: an <error> in one user would make Baileys drop the whole batch.
 */
function keyBundles(world: World, keyNode: BinaryNode): BinaryNode[] {
  const users: BinaryNode[] = [];
  for (const user of getBinaryNodeChildren(keyNode, 'user')) {
    const jid = user.attrs.jid;
    const address = jid ? resolveJid(world.directory, jid) : undefined;
    if (!jid || !address) continue;
    const contact = world.contacts.find(address.phone, address.device);
    if (contact && world.unpublishedKeys.has(`${address.phone}.${address.device}`)) continue;
    if (contact) {
      users.push(
        bundleNode(jid, contact.registrationId, contact.identity.pubKey.subarray(1), {
          id: contact.signedPreKey.keyId,
          publicKey: contact.signedPreKey.keyPair.pubKey.subarray(1),
          signature: contact.signedPreKey.signature,
        }, contact.takePreKey()),
      );
      continue;
    }
    const linked = world.registry.find(address.phone, address.device);
    if (!linked) continue;
    users.push(
      bundleNode(jid, linked.registrationId, linked.identityKey, linked.signedPreKey, linked.preKeys.take()),
    );
  }
  return users;
}

function bundleNode(
  jid: string,
  registrationId: number,
  identityKey: Buffer,
  signedPreKey: { id: number; publicKey: Buffer; signature: Buffer },
  preKey?: { id: number; publicKey: Buffer },
): BinaryNode {
  const content: BinaryNode[] = [
    { tag: 'registration', attrs: {}, content: bigEndian(registrationId, 4) },
    { tag: 'type', attrs: {}, content: KEY_TYPE_DJB },
    { tag: 'identity', attrs: {}, content: identityKey },
    {
      tag: 'skey',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: bigEndian(signedPreKey.id, 3) },
        { tag: 'value', attrs: {}, content: signedPreKey.publicKey },
        { tag: 'signature', attrs: {}, content: signedPreKey.signature },
      ],
    },
  ];
  if (preKey) {
    content.push({
      tag: 'key',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: bigEndian(preKey.id, 3) },
        { tag: 'value', attrs: {}, content: preKey.publicKey },
      ],
    });
  }
  return { tag: 'user', attrs: { jid }, content };
}

/**
 * usync: every number is a WhatsApp user. Contacts have their phone (id 0) and the companion devices
 * they linked, each with a key index (Baileys skips a companion without one). The asking
 * device's own number lists its phone (id 0) and the asking device, as WhatsApp does: Baileys caches a
 * user's device list only when a device is left after dropping itself, and without the phone it would
 * ask again, and force a new Signal session with the phone, on every send. Baileys sends the phone a
 * copy (DSM) of each message; the simulated phone does not read it.
 * Every user carries its LID: without it Baileys cannot fetch bundles and fails the send.
 */
function usync(world: World, self: LinkedDevice | undefined, query: BinaryNode | undefined): BinaryNode {
  const protocols = new Set(children(getBinaryNodeChild(query, 'query')).map((node) => node.tag));
  const users: BinaryNode[] = [];
  for (const user of getBinaryNodeChildren(getBinaryNodeChild(query, 'list'), 'user')) {
    const jid = user.attrs.jid ?? contactJid(user);
    const address = jid ? resolveJid(world.directory, jid) : undefined;
    if (!jid || !address) continue;
    const content: BinaryNode[] = [];
    if (protocols.has('devices')) {
      const devices: BinaryNode[] =
        self && self.phone === address.phone
          ? [
              { tag: 'device', attrs: { id: '0' } },
              { tag: 'device', attrs: { id: String(self.device), 'key-index': String(self.keyIndex) } },
            ]
          : world.contacts
              .devicesOf(address.phone)
              .map((id): BinaryNode => {
                const attrs: Record<string, string> = id === 0 ? { id: '0' } : { id: String(id), 'key-index': String(id) };
                return { tag: 'device', attrs };
              });
      content.push({ tag: 'devices', attrs: {}, content: [{ tag: 'device-list', attrs: {}, content: devices }] });
    }
    if (protocols.has('lid')) {
      content.push({ tag: 'lid', attrs: { val: `${world.directory.lidOf(address.phone)}@lid` } });
    }
    // `out`: not on WhatsApp (contact-profiles.ts); Baileys' onWhatsApp then leaves the number out.
    if (protocols.has('contact')) content.push({ tag: 'contact', attrs: { type: world.profiles.of(address.phone).registered ? 'in' : 'out' } });
    users.push({ tag: 'user', attrs: { jid }, content });
  }
  return {
    tag: 'usync',
    attrs: { sid: query?.attrs.sid ?? '', index: '0', last: 'true' },
    content: [
      { tag: 'result', attrs: {} },
      { tag: 'list', attrs: {}, content: users },
    ],
  };
}

/** A contact's picture URL (`<picture url id type/>`), or a 404 error child when it has none, as WhatsApp answers. */
function profilePicture(world: World, iq: BinaryNode): BinaryNode {
  const target = iq.attrs.target ? resolveJid(world.directory, iq.attrs.target) : undefined;
  const url = target ? world.profiles.of(target.phone).pictureUrl : undefined;
  const type = getBinaryNodeChild(iq, 'picture')?.attrs.type ?? 'preview';
  if (!url) return { ...result(iq, [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }]), attrs: { from: SERVER_JID, type: 'error', id: iq.attrs.id ?? '' } };
  return result(iq, [{ tag: 'picture', attrs: { url, id: '1', type } }]);
}

/** onWhatsApp() asks by phone number (<contact>+62...</contact>) instead of jid. */
function contactJid(user: BinaryNode): string | undefined {
  const contact = getBinaryNodeChild(user, 'contact');
  const raw = contact?.content;
  const text = typeof raw === 'string' ? raw : raw instanceof Uint8Array ? Buffer.from(raw).toString() : '';
  const digits = text.replace(/\D/g, '');
  return digits ? `${digits}@s.whatsapp.net` : undefined;
}
