// Noise_XX_25519_AESGCM_SHA256 responder as Baileys' noise-handler expects it, and the transport
// ciphers that follow. Baileys deviates from the spec: the empty payload of message 1 is not hashed.
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { Curve, NOISE_MODE, NOISE_WA_HEADER, proto } from '@whiskeysockets/baileys';
import type { KeyPair } from '@whiskeysockets/baileys';

const TAG_LENGTH = 16;
const EMPTY = Buffer.alloc(0);

function iv(counter: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt32BE(counter, 8);
  return out;
}

function sealGcm(key: Uint8Array, counter: number, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv(counter));
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function openGcm(key: Uint8Array, counter: number, aad: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.length < TAG_LENGTH) throw new Error('noise: ciphertext shorter than its tag');
  const decipher = createDecipheriv('aes-256-gcm', key, iv(counter));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH)), decipher.final()]);
}

function hkdf64(ikm: Uint8Array, salt: Uint8Array): [Buffer, Buffer] {
  const out = Buffer.from(hkdfSync('sha256', ikm, salt, EMPTY, 64));
  return [out.subarray(0, 32), out.subarray(32)];
}

/** Post-handshake ciphers: one key and counter per direction, empty AAD. */
export class NoiseTransport {
  #sendKey: Buffer;
  #receiveKey: Buffer;
  #sendCounter = 0;
  #receiveCounter = 0;

  constructor(sendKey: Buffer, receiveKey: Buffer) {
    this.#sendKey = sendKey;
    this.#receiveKey = receiveKey;
  }

  encrypt(plaintext: Uint8Array): Buffer {
    return sealGcm(this.#sendKey, this.#sendCounter++, EMPTY, plaintext);
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    return openGcm(this.#receiveKey, this.#receiveCounter++, EMPTY, ciphertext);
  }
}

export type HandshakeResult = {
  transport: NoiseTransport;
  /** The client's long-lived noise key: its identity at login. */
  clientStatic: Buffer;
  clientPayload: proto.ClientPayload;
};

/** One handshake, driven by the two client messages (ClientHello, ClientFinish). */
export class NoiseResponder {
  #hash: Buffer = Buffer.from(NOISE_MODE);
  #chainKey: Buffer = this.#hash;
  #key: Buffer = this.#hash;
  #counter = 0;
  #serverStatic: KeyPair;
  #certChain: Uint8Array;
  #ephemeral: KeyPair | undefined;

  constructor(serverStatic: KeyPair, certChain: Uint8Array) {
    this.#serverStatic = serverStatic;
    this.#certChain = certChain;
    this.#mixHash(NOISE_WA_HEADER);
  }

  /** Takes the ClientHello frame and returns the ServerHello frame payload. */
  respondToHello(frame: Uint8Array): Uint8Array {
    const hello = proto.HandshakeMessage.decode(frame).clientHello;
    const clientEphemeral = hello?.ephemeral;
    if (!clientEphemeral || clientEphemeral.length !== 32) throw new Error('noise: ClientHello without ephemeral key');
    this.#mixHash(clientEphemeral);
    const ephemeral = Curve.generateKeyPair();
    this.#ephemeral = ephemeral;
    this.#mixHash(ephemeral.public);
    this.#mixKey(Curve.sharedKey(ephemeral.private, clientEphemeral));
    const sealedStatic = this.#encryptAndHash(this.#serverStatic.public);
    this.#mixKey(Curve.sharedKey(this.#serverStatic.private, clientEphemeral));
    const sealedPayload = this.#encryptAndHash(this.#certChain);
    return proto.HandshakeMessage.encode({
      serverHello: { ephemeral: ephemeral.public, static: sealedStatic, payload: sealedPayload },
    }).finish();
  }

  /** Takes the ClientFinish frame; returns the client's identity, its payload and the transport. */
  finish(frame: Uint8Array): HandshakeResult {
    if (!this.#ephemeral) throw new Error('noise: ClientFinish before ClientHello');
    const finish = proto.HandshakeMessage.decode(frame).clientFinish;
    if (!finish?.static || !finish.payload) throw new Error('noise: incomplete ClientFinish');
    const clientStatic = this.#decryptAndHash(finish.static);
    this.#mixKey(Curve.sharedKey(this.#ephemeral.private, clientStatic));
    const clientPayload = proto.ClientPayload.decode(this.#decryptAndHash(finish.payload));
    const [clientToServer, serverToClient] = hkdf64(EMPTY, this.#chainKey);
    return { transport: new NoiseTransport(serverToClient, clientToServer), clientStatic, clientPayload };
  }

  #mixHash(data: Uint8Array): void {
    this.#hash = createHash('sha256').update(this.#hash).update(data).digest();
  }

  #mixKey(ikm: Uint8Array): void {
    [this.#chainKey, this.#key] = hkdf64(ikm, this.#chainKey);
    this.#counter = 0;
  }

  #encryptAndHash(plaintext: Uint8Array): Buffer {
    const sealed = sealGcm(this.#key, this.#counter++, this.#hash, plaintext);
    this.#mixHash(sealed);
    return sealed;
  }

  #decryptAndHash(sealed: Uint8Array): Buffer {
    const plaintext = openGcm(this.#key, this.#counter++, this.#hash, sealed);
    this.#mixHash(sealed);
    return plaintext;
  }
}
