// 1:1 text messages both ways: a device's message decrypted by the contact it is for (then acked and
// stored), a contact's message encrypted to every device of the receiving phone and kept until that
// device receipts it, receipts both ways, and retry receipts answered with a fresh encryption.
import { randomBytes } from 'node:crypto';
import { getBinaryNodeChild, getBinaryNodeChildren, proto } from '@whiskeysockets/baileys';
import type { BinaryNode } from '@whiskeysockets/baileys';
import { senderAttrs, type Addressing } from './addressing.ts';
import type { Connection } from './connection.ts';
import { textMessage, type TextShape } from './message-content.ts';
import { mediaContentOf, receiveMedia } from './media-receive.ts';
import { contentOf, kindOf, replyToOf, stanzaFor, textOf } from './message-kinds.ts';
import type { PeerBundle, SignalMessageType } from './contacts.ts';
import type { LinkedDevice } from './device-registry.ts';
import { resolveJid } from './directory.ts';
import { InvalidScenario, NoLinkedDevice, UnknownMessage } from './errors.ts';
import type { ReceiptType } from './events.ts';
import type { SentMessage } from './inbox.ts';
import { sendRetryReceipt } from './retry-requests.ts';
import type { World } from './world.ts';

const DJB = Buffer.from([5]);
/** Baileys answers at most 5 retries of a message (its default maxMsgRetryCount, Defaults/index.js). */
const MAX_RETRIES = 5;

function unixSeconds(): string {
  return String(Math.floor(Date.now() / 1000));
}

/** A WhatsApp-like message id: "3EB0" and 16 hex digits. */
export function newMessageId(): string {
  return `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;
}

/** The <enc> nodes of a message stanza with the jid each is for (<participants> or a bare <enc>). */
function encryptedCopies(node: BinaryNode): { jid: string; enc: BinaryNode }[] {
  const participants = getBinaryNodeChild(node, 'participants');
  if (!participants) {
    const enc = getBinaryNodeChild(node, 'enc');
    return enc && node.attrs.to ? [{ jid: node.attrs.to, enc }] : [];
  }
  return getBinaryNodeChildren(participants, 'to').flatMap((to) => {
    const enc = getBinaryNodeChild(to, 'enc');
    return enc && to.attrs.jid ? [{ jid: to.attrs.jid, enc }] : [];
  });
}

export async function onDeviceMessage(
  world: World,
  connection: Connection,
  sender: LinkedDevice,
  node: BinaryNode,
): Promise<void> {
  const { id, to } = node.attrs;
  if (!id || !to) return;
  const chat = resolveJid(world.directory, to);
  const refusal = chat && world.refusals.find(sender.phone, chat.phone);
  if (refusal) {
    // Refused: nothing reaches the contact, and the ack says why.
    const ack = { tag: 'ack', attrs: { class: 'message', id, from: to, t: unixSeconds(), error: String(refusal.code) } };
    if (refusal.delayMs === 0) connection.send(ack);
    else world.later(refusal.delayMs, () => connection.send(ack));
    world.events.emit('send-refused', { id, from: sender.phone, to: chat.phone, code: refusal.code });
    return;
  }
  let message: proto.IMessage | undefined;
  let undecryptable: string | undefined;
  const devices: number[] = [];
  for (const { jid, enc } of encryptedCopies(node)) {
    const address = resolveJid(world.directory, jid);
    const type = enc.attrs.type;
    // Copies for the sender's own devices (DSM) are not simulated.
    if (!address || address.phone === sender.phone) continue;
    const contact = world.contacts.find(address.phone, address.device);
    if (!contact || (type !== 'pkmsg' && type !== 'msg') || !(enc.content instanceof Uint8Array)) continue;
    try {
      const plaintext = await contact.decrypt(
        { name: sender.phone, device: sender.device },
        type,
        Buffer.from(enc.content),
      );
      message = proto.Message.decode(plaintext);
      devices.push(address.device);
    } catch (error) {
      undecryptable = address.phone;
      world.events.emit('client-error', { phone: sender.phone, error: error as Error });
    }
  }
  connection.send({ tag: 'ack', attrs: { class: 'message', id, from: to, t: unixSeconds() } });
  if (message === undefined && undecryptable && chat) {
    // As a WhatsApp phone does: it asks the sender again, up to Baileys' limit of 5 retries.
    const count = (world.decryptRetries.get(id) ?? 0) + 1;
    world.decryptRetries.set(id, count);
    if (count <= MAX_RETRIES) sendRetryReceipt(world, { id, chatJid: to, from: sender.phone, to: undecryptable }, count);
    return;
  }
  world.decryptRetries.delete(id);
  if (message === undefined || !chat) return;
  const media = mediaContentOf(message);
  const text = media ? (media.content.caption ?? '') : textOf(message);
  const replyTo = replyToOf(message);
  const sent: SentMessage = {
    id,
    from: sender.phone,
    to: chat.phone,
    text,
    timestamp: Date.now(),
    kind: kindOf(message),
    content: contentOf(message),
    ...(replyTo ? { replyTo } : {}),
    chatJid: to,
    ...(media ? { type: media.type, media: await receiveMedia(world.media, media.type, media.content) } : {}),
  };
  world.inbox.record(sent);
  world.events.emit('message-stored', { id, from: sent.from, to: sent.to, text, timestamp: sent.timestamp, devices, ...(sent.media ? { type: sent.type, media: sent.media } : {}) });
  const auto = world.options.autoReceipts;
  // A phone reads a message only after it has it: its read receipt follows its delivery receipt.
  if (auto) scheduleReceipt(world, sent, 'delivered', auto === 'read' ? () => scheduleReceipt(world, sent, 'read') : undefined);
}

/**
 * A device acknowledged (delivered/read) messages a contact sent it, which settles them; or, with a
 * retry receipt, could not decrypt one and asks for it again.
 */
export async function onDeviceReceipt(world: World, device: LinkedDevice, node: BinaryNode): Promise<void> {
  const { id, to, type } = node.attrs;
  const contact = to ? resolveJid(world.directory, to) : undefined;
  if (!id || !contact) return;
  if (type === 'retry') {
    await onRetryReceipt(world, device, contact.phone, node);
    return;
  }
  const ids = [id, ...getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'item').flatMap((item) => item.attrs.id ?? [])];
  for (const messageId of ids) {
    // Any receipt but a retry (delivery, inactive, read, played) means the device has the message.
    world.receipted(device, messageId);
    world.events.emit('receipt-received', {
      id: messageId,
      from: device.phone,
      to: contact.phone,
      type: type ?? 'delivered',
    });
  }
}

/**
 * A device's ack of a stanza. A plain ack changes nothing (Baileys acks contact messages with their
 * receipt); a nack (`error`) of a contact's message is reported and settles it, whatever the code: that
 * WhatsApp would deliver a nacked message again is nowhere documented, so a client must not count on it.
 * Baileys nacks 487 a ciphertext whose message key it already spent: a redelivered copy of a message
 * it decrypted before its receipt was lost. It keeps no copy and sends no retry; resending the same
 * bytes could never succeed, so the message is settled as WhatsApp's server would.
 */
export function onDeviceAck(world: World, device: LinkedDevice, node: BinaryNode): void {
  const { id, class: stanza, error, to } = node.attrs;
  if (stanza !== 'message' || !id || !error) return;
  const message = device.unreceipted.get(id);
  if (!message) return;
  world.receipted(device, id);
  const contact = to ? resolveJid(world.directory, to)?.phone : undefined;
  world.events.emit('nack-received', { id, from: device.phone, to: contact ?? message.from, error, settled: true });
}

/**
 * The keys a retry receipt carries, as a Signal bundle. Baileys adds them from the second retry on, or
 * when it dropped its session with the sender; a new session is then built from them.
 */
export function retryBundle(node: BinaryNode): PeerBundle | undefined {
  const keys = getBinaryNodeChild(node, 'keys');
  const bytes = (parent: BinaryNode | undefined, tag: string) => {
    const content = getBinaryNodeChild(parent, tag)?.content;
    return content instanceof Uint8Array ? Buffer.from(content) : undefined;
  };
  const registration = bytes(node, 'registration');
  const identity = bytes(keys, 'identity');
  const skey = getBinaryNodeChild(keys, 'skey');
  const skeyId = bytes(skey, 'id');
  const skeyValue = bytes(skey, 'value');
  const skeySignature = bytes(skey, 'signature');
  if (!keys || !registration?.length || !identity || !skeyId?.length || !skeyValue || !skeySignature) return undefined;
  const key = getBinaryNodeChild(keys, 'key');
  const keyId = bytes(key, 'id');
  const keyValue = bytes(key, 'value');
  return {
    registrationId: registration.readUIntBE(0, Math.min(registration.length, 6)),
    identityKey: withPrefix(identity),
    signedPreKey: { keyId: skeyId.readUIntBE(0, Math.min(skeyId.length, 6)), publicKey: withPrefix(skeyValue), signature: skeySignature },
    preKey: keyId?.length && keyValue ? { keyId: keyId.readUIntBE(0, Math.min(keyId.length, 6)), publicKey: withPrefix(keyValue) } : undefined,
  };
}

/**
 * The device could not decrypt a contact's message (it lost its session with the contact, or the
 * prekey a pkmsg names) and asks for it again. As Baileys does for its own sends, the contact starts a
 * new session, from the keys the receipt carries or else from the device's published bundle, encrypts
 * the plaintext afresh and resends it under the same id. (A ciphertext the device had already
 * decrypted gets no retry: Baileys nacks it, see onDeviceAck.)
 */
async function onRetryReceipt(world: World, device: LinkedDevice, contact: string, node: BinaryNode): Promise<void> {
  const id = node.attrs.id!;
  const count = Number(getBinaryNodeChild(node, 'retry')?.attrs.count ?? 1) || 1;
  world.events.emit('retry-received', { id, from: device.phone, to: contact, count });
  const message = device.unreceipted.get(id);
  // Already settled (a stale retry), or not a message this contact sent the device.
  if (!message || message.from !== contact) return;
  const keys = retryBundle(node);
  try {
    const { type, ciphertext } = await world.contacts
      .get(contact)
      .encrypt({ name: device.phone, device: device.device }, message.plaintext, () => keys ?? bundleOf(device), {
        newSession: true,
      });
    // A receipt may have settled it while the contact was encrypting.
    if (device.unreceipted.get(id) !== message) return;
    // Same id and timestamp: it is the same message, only its ciphertext is new.
    const children = Array.isArray(message.node.content) ? message.node.content : [];
    message.node = {
      ...message.node,
      content: children.map((child) => (child.tag === 'enc' ? { ...child, attrs: { ...child.attrs, type }, content: ciphertext } : child)),
    };
    world.resend(message);
  } catch (error) {
    world.events.emit('client-error', { phone: device.phone, error: error as Error });
  }
}

/** The recipient of a message a device sent acknowledges it; reaches the sender's devices as a status update. */
export function sendReceipt(world: World, id: string, type: ReceiptType, device = 0): void {
  const sent = world.inbox.sent(id);
  if (!sent) throw new UnknownMessage(`no device sent a message with id ${id}`);
  if (!world.contacts.find(sent.to, device)) throw new InvalidScenario(`contact ${sent.to} has no device ${device}`);
  scheduleReceipt(world, sent, type, undefined, device);
}

/**
 * Sends the receipt after the world's next receipt delay, which may be 0: WhatsApp passes a phone's
 * receipt on as soon as it has it, however soon after its ack of the message that is.
 */
function scheduleReceipt(world: World, sent: SentMessage, type: ReceiptType, then?: () => void, device = 0): void {
  world.later(world.options.receiptDelay(), () => {
    // No `recipient` attribute: its absence tells Baileys the receipt is about its own message.
    // `from` repeats the jid the message was addressed to, so Baileys' key.remoteJid matches; a
    // companion's receipt names that device in it.
    const receipt: BinaryNode = {
      tag: 'receipt',
      attrs: { from: device === 0 ? sent.chatJid : sent.chatJid.replace('@', `:${device}@`), id: sent.id, t: unixSeconds(), ...(type === 'read' ? { type: 'read' } : {}) },
    };
    for (const device of world.registry.devicesOf(sent.from)) world.deliver(device, receipt);
    then?.();
  });
}

function withPrefix(key: Buffer): Buffer {
  return Buffer.concat([DJB, key]);
}

/** The device's published keys as a Signal bundle; takes one of its one-time prekeys. */
export function bundleOf(device: LinkedDevice): PeerBundle {
  const preKey = device.preKeys.take();
  return {
    registrationId: device.registrationId,
    identityKey: withPrefix(device.identityKey),
    signedPreKey: {
      keyId: device.signedPreKey.id,
      publicKey: withPrefix(device.signedPreKey.publicKey),
      signature: device.signedPreKey.signature,
    },
    preKey: preKey ? { keyId: preKey.id, publicKey: withPrefix(preKey.publicKey) } : undefined,
  };
}

export type ContactSendOptions = { addressing?: Addressing; shape?: TextShape; pushName?: string; device?: number };

/** Refuses a send that cannot happen, before anything (a media blob, a message id) is made for it. */
export function assertCanSend(world: World, from: string, to: string, device = 0): void {
  if (from === to) throw new InvalidScenario('a phone cannot message its own linked devices here');
  if (world.registry.devicesOf(to).length === 0) throw new NoLinkedDevice(`phone ${to} has no linked device`);
  if (!world.contacts.find(from, device)) throw new InvalidScenario(`contact ${from} has no device ${device}`);
}

/** Contact `from` sends `text` to phone `to` (see contactSendMessage). */
export async function contactSend(world: World, from: string, to: string, text: string, options: ContactSendOptions = {}): Promise<{ id: string }> {
  return contactSendMessage(world, from, to, textMessage(text, options.shape ?? 'conversation'), options);
}

/**
 * Contact `from` sends `message` to phone `to`: one Signal copy per linked device of `to` (pkmsg to
 * start a session, msg after), delivered now or queued until the device is next online, and kept
 * per device until that device receipts it. The stanza carries what a phone's client puts on that kind;
 * a media message's `mediatype` goes on its `<enc>`.
 */
export async function contactSendMessage(
  world: World,
  from: string,
  to: string,
  message: proto.IMessage,
  options: ContactSendOptions = {},
  id = newMessageId(),
  mediatype?: string,
): Promise<{ id: string }> {
  assertCanSend(world, from, to, options.device);
  const devices = world.registry.devicesOf(to);
  const contact = world.contacts.find(from, options.device ?? 0)!;
  const lid = world.directory.lidOf(from);
  const plaintext = proto.Message.encode(message).finish();
  const stanza = stanzaFor(message);
  const encAttrs = mediatype ? { ...stanza.encAttrs, mediatype } : stanza.encAttrs;
  // WhatsApp puts the sender's chosen name beside its messages as `notify`.
  const sender = { ...senderAttrs(from, lid, options.addressing ?? 'pn', contact.device), ...(options.pushName ? { notify: options.pushName } : {}) };
  const types: SignalMessageType[] = [];
  for (const device of devices) {
    const { type, ciphertext } = await contact.encrypt({ name: to, device: device.device }, plaintext, () =>
      bundleOf(device),
    );
    types.push(type);
    world.deliverMessage(device, id, { from, plaintext, node: messageStanza({ ...sender, ...stanza.attrs }, id, type, ciphertext, { encAttrs, children: stanza.children }) });
  }
  world.inbox.recordFromContact({ id, from, to, content: contentOf(message), timestamp: Date.now() });
  world.events.emit('contact-message-sent', { id, from, to, types });
  return { id };
}

function messageStanza(
  attrs: Record<string, string>,
  id: string,
  type: SignalMessageType,
  ciphertext: Buffer,
  extra: { encAttrs: Record<string, string>; children: BinaryNode[] },
): BinaryNode {
  return {
    tag: 'message',
    attrs: { ...attrs, id, t: unixSeconds() },
    content: [...extra.children, { tag: 'enc', attrs: { v: '2', type, ...extra.encAttrs }, content: ciphertext }],
  };
}
