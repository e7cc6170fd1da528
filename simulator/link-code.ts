// The phone's side of pairing by code ("link with phone number"), as WhatsApp does it: the device's
// companion_hello is held for its number until the user types the code on the phone; the phone then
// answers with its own ephemeral key (both wrapped under the code), and from the device's companion_finish
// both derive the same adv secret, with which the phone signs the device in as after a QR scan.
import { createCipheriv, createDecipheriv, hkdfSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import { Curve, getBinaryNodeChild, type BinaryNode, type KeyPair } from '@whiskeysockets/baileys';
import type { Connection } from './connection.ts';
import { SERVER_JID } from './directory.ts';
import { PairingRejected, UnknownQr } from './errors.ts';
import type { World } from './world.ts';

/** A device waiting for its code to be entered, by the phone number it asked for. */
export type PendingLinkCode = {
  connection: Connection;
  /** salt(32) ‖ iv(16) ‖ AES-256-CTR(PBKDF2(code), companion ephemeral public key). */
  wrappedCompanionEphemeral: Buffer;
  /** The device's noise key, which its login must present later. */
  noiseKey: Buffer;
  entered?: { primaryEphemeral: KeyPair; companionEphemeral: Buffer; resolve: (r: { jid: string }) => void; reject: (e: Error) => void };
};

/** WhatsApp's key derivation for the code: PBKDF2-HMAC-SHA256, 2 << 16 rounds (Baileys derivePairingCodeKey). */
function codeKey(code: string, salt: Buffer): Buffer {
  return pbkdf2Sync(Buffer.from(code, 'utf8'), salt, 2 << 16, 32, 'sha256');
}

function ctr(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function bytesOf(node: BinaryNode | undefined, tag: string): Buffer | undefined {
  const content = getBinaryNodeChild(node, tag)?.content;
  return content instanceof Uint8Array ? Buffer.from(content) : undefined;
}

/** companion_hello: the device asks to be linked to `jid`'s number by a code shown to its user. */
export function onCompanionHello(world: World, connection: Connection, reg: BinaryNode): void {
  const phone = (reg.attrs.jid ?? '').split('@')[0] ?? '';
  const wrapped = bytesOf(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub');
  const noiseKey = bytesOf(reg, 'companion_server_auth_key_pub');
  if (!phone || wrapped?.length !== 80 || noiseKey?.length !== 32) return;
  world.pendingCodes.set(phone, { connection, wrappedCompanionEphemeral: wrapped, noiseKey });
}

/** The user types `code` on the phone `phone`; resolves with the device's jid once it is linked. */
export function enterPairingCode(world: World, phone: string, typed: string): Promise<{ jid: string }> {
  const pending = world.pendingCodes.get(phone);
  if (!pending || pending.connection.device) return Promise.reject(new UnknownQr(`no device is waiting for a code for ${phone}`));
  const code = typed.replace(/-/g, '').toUpperCase();
  const wrapped = pending.wrappedCompanionEphemeral;
  // A wrong code unwraps to a wrong key without an error, as on WhatsApp: the device's bundle then fails.
  const companionEphemeral = ctr(codeKey(code, wrapped.subarray(0, 32)), wrapped.subarray(32, 48), wrapped.subarray(48, 80));
  const primaryEphemeral = Curve.generateKeyPair();
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const account = world.registry.account(phone);
  return new Promise((resolve, reject) => {
    pending.entered = { primaryEphemeral, companionEphemeral, resolve, reject };
    pending.connection.send({
      tag: 'notification',
      attrs: { from: SERVER_JID, id: world.nextIqId(), type: 'link_code_companion_reg', t: String(Math.floor(Date.now() / 1000)) },
      content: [
        {
          tag: 'link_code_companion_reg',
          attrs: {},
          content: [
            { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(randomBytes(16).toString('base64')) },
            { tag: 'primary_identity_pub', attrs: {}, content: account.accountKey.public },
            {
              tag: 'link_code_pairing_wrapped_primary_ephemeral_pub',
              attrs: {},
              content: Buffer.concat([salt, iv, ctr(codeKey(code, salt), iv, Buffer.from(primaryEphemeral.public))]),
            },
          ],
        },
      ],
    });
  });
}

/**
 * companion_finish: the device's key bundle, sealed under the ephemeral agreement. Opening it proves the
 * code was right; the phone then derives the adv secret and signs the device in (pair-success).
 */
export function onCompanionFinish(world: World, connection: Connection, reg: BinaryNode): void {
  const phone = (reg.attrs.jid ?? '').split('@')[0] ?? '';
  const pending = world.pendingCodes.get(phone);
  const entered = pending?.entered;
  const bundle = bytesOf(reg, 'link_code_pairing_wrapped_key_bundle');
  if (!pending || pending.connection !== connection || !entered || !bundle || bundle.length < 32 + 12 + 16) return;
  world.pendingCodes.delete(phone);
  const companionShared = Buffer.from(Curve.sharedKey(entered.primaryEphemeral.private, entered.companionEphemeral));
  const bundleKey = Buffer.from(hkdfSync('sha256', companionShared, bundle.subarray(0, 32), 'link_code_pairing_key_bundle_encryption_key', 32));
  let payload: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', bundleKey, bundle.subarray(32, 44));
    decipher.setAuthTag(bundle.subarray(bundle.length - 16));
    payload = Buffer.concat([decipher.update(bundle.subarray(44, bundle.length - 16)), decipher.final()]);
  } catch {
    entered.reject(new PairingRejected('the code entered on the phone is not the one the device showed'));
    return;
  }
  const companionIdentity = payload.subarray(0, 32);
  const account = world.registry.account(phone);
  const identityShared = Buffer.from(Curve.sharedKey(account.accountKey.private, companionIdentity));
  const advSecret = Buffer.from(hkdfSync('sha256', Buffer.concat([companionShared, identityShared, payload.subarray(64, 96)]), Buffer.alloc(0), 'adv_secret', 32));
  connection.pair({ ref: '', noiseKey: pending.noiseKey, identityKey: companionIdentity, advSecret, platformId: '1' }, phone, {}).then(entered.resolve, entered.reject);
}
