// Expired media and the phone's re-upload. WhatsApp's CDN drops blobs after some weeks (404/410); a device
// then asks for the media again with `<receipt type="server-error">` carrying an encrypted
// ServerErrorReceipt and `<rmr>` naming the message (Baileys updateMediaMessage, encryptMediaRetryRequest).
// The phone that has the media uploads it again and answers `<notification type="mediaretry">` with an
// encrypted MediaRetryNotification holding the new direct path, or an `<error code>` when it cannot
// (Utils/messages-media.js decodeMediaRetryNode, decryptMediaRetryData).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { getBinaryNodeChild, proto } from '@whiskeysockets/baileys';
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { LinkedDevice } from './device-registry.ts';
import { phoneJid } from './directory.ts';
import { InvalidScenario, UnknownMessage } from './errors.ts';
import type { World } from './world.ts';

const GCM_TAG_LENGTH = 16;
const { ResultType } = proto.MediaRetryNotification;

function retryKey(mediaKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', mediaKey, Buffer.alloc(0), 'WhatsApp Media Retry Notification', 32));
}

function seal(plaintext: Uint8Array, key: Buffer, id: string): { ciphertext: Buffer; iv: Buffer } {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(id));
  return { ciphertext: Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]), iv };
}

function open(sealed: Buffer, iv: Buffer, key: Buffer, id: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(id));
  decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_LENGTH));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_LENGTH)), decipher.final()]);
}

function childBytes(node: BinaryNode | undefined, tag: string): Buffer | undefined {
  const content = getBinaryNodeChild(node, tag)?.content;
  return content instanceof Uint8Array ? Buffer.from(content) : undefined;
}

/** The CDN drops a blob, named by its direct path or by the id of the contact message that carries it. */
export async function expireMedia(world: World, target: { directPath: string } | { messageId: string }): Promise<{ directPath: string }> {
  const store = world.media?.store;
  if (!store) throw new InvalidScenario('the simulator has no media host');
  const directPath = 'directPath' in target ? target.directPath : (await store.phoneCopy(target.messageId))?.directPath;
  if (!directPath) throw new UnknownMessage(`no contact sent media as message ${'messageId' in target ? target.messageId : ''}`);
  if (!(await store.expire(directPath))) throw new UnknownMessage(`the media host has no blob at ${directPath}`);
  return { directPath };
}

/**
 * A device asks for message `id`'s media again. The phone that sent it checks the request against the
 * media key (a request it cannot decrypt gets DECRYPTION_ERROR), uploads its copy under a new direct path
 * and tells the device; a phone with no copy answers with error code NOT_FOUND.
 */
export async function onMediaRetryRequest(world: World, device: LinkedDevice, node: BinaryNode): Promise<void> {
  const id = node.attrs.id;
  const rmr = getBinaryNodeChild(node, 'rmr');
  if (!id || !rmr) return;
  const store = world.media?.store;
  const copy = await store?.phoneCopy(id);
  const attrs = { from: phoneJid(device.phone), type: 'mediaretry', id, t: String(Math.floor(Date.now() / 1000)) };
  const rmrNode: BinaryNode = { tag: 'rmr', attrs: Object.fromEntries(Object.entries(rmr.attrs).filter(([, value]) => value !== undefined)) };
  if (!store || !copy) {
    world.events.emit('media-retry-answered', { id, phone: device.phone, result: 'NOT_FOUND' });
    const error: BinaryNode = { tag: 'error', attrs: { code: String(ResultType.NOT_FOUND) } };
    world.deliver(device, { tag: 'notification', attrs, content: [rmrNode, error] });
    return;
  }
  const key = retryKey(copy.mediaKey);
  const encrypt = getBinaryNodeChild(node, 'encrypt');
  let result: proto.MediaRetryNotification.ResultType = ResultType.SUCCESS;
  let directPath: string | undefined;
  try {
    const request = proto.ServerErrorReceipt.decode(open(childBytes(encrypt, 'enc_p') ?? Buffer.alloc(0), childBytes(encrypt, 'enc_iv') ?? Buffer.alloc(12), key, id));
    if (request.stanzaId !== id) throw new Error('the request names another message');
  } catch {
    result = ResultType.DECRYPTION_ERROR;
  }
  if (result === ResultType.SUCCESS) directPath = await store.reupload(id);
  world.events.emit('media-retry-answered', { id, phone: device.phone, result: ResultType[result] as string, ...(directPath ? { directPath } : {}) });
  const notification = proto.MediaRetryNotification.encode({ stanzaId: id, result, ...(directPath ? { directPath } : {}) }).finish();
  const { ciphertext, iv } = seal(notification, key, id);
  world.deliver(device, {
    tag: 'notification',
    attrs,
    content: [
      { tag: 'encrypt', attrs: {}, content: [{ tag: 'enc_p', attrs: {}, content: ciphertext }, { tag: 'enc_iv', attrs: {}, content: iv }] },
      rmrNode,
    ],
  });
}
