import {
  Curve,
  decodeBinaryNode,
  encodeBinaryNode,
  makeNoiseHandler,
  NOISE_WA_HEADER,
  proto,
} from '@whiskeysockets/baileys';
import type { BinaryNode } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { afterAll, expect, test } from 'vitest';
import { buildCertChain } from './cert-chain.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import { NoiseResponder } from './noise.ts';
import { trustSimulatorRoot } from './test-root.ts';

const restoreRoot = trustSimulatorRoot();
afterAll(restoreRoot);

test("the responder completes a handshake with Baileys' own noise handler and both sides read each other's frames", async () => {
  const serverStatic = Curve.generateKeyPair();
  const responder = new NoiseResponder(serverStatic, buildCertChain(serverStatic.public, 'test'));
  const reader = new FrameReader();
  const ephemeral = Curve.generateKeyPair();
  const noiseKey = Curve.generateKeyPair();
  const client = makeNoiseHandler({
    keyPair: ephemeral,
    NOISE_HEADER: NOISE_WA_HEADER,
    logger: pino({ level: 'silent' }) as unknown as Parameters<typeof makeNoiseHandler>[0]['logger'],
  });

  const hello = client.encodeFrame(proto.HandshakeMessage.encode({ clientHello: { ephemeral: ephemeral.public } }).finish());
  const serverHello = responder.respondToHello(reader.push(hello)[0]!);
  const sealedStatic = client.processHandshake(proto.HandshakeMessage.decode(serverHello), noiseKey);
  const payload = proto.ClientPayload.encode({ username: 6281234567890, device: 4, passive: true }).finish();
  const finish = client.encodeFrame(
    proto.HandshakeMessage.encode({ clientFinish: { static: sealedStatic, payload: client.encrypt(payload) } }).finish(),
  );
  await client.finishInit();
  const { transport, clientStatic, clientPayload } = responder.finish(reader.push(finish)[0]!);
  expect(clientStatic).toEqual(noiseKey.public);
  expect(String(clientPayload.username)).toBe('6281234567890');
  expect(clientPayload.device).toBe(4);

  const ping: BinaryNode = { tag: 'iq', attrs: { id: '1', type: 'get', xmlns: 'w:p' } };
  const fromClient = reader.push(client.encodeFrame(encodeBinaryNode(ping)));
  expect(await decodeBinaryNode(transport.decrypt(fromClient[0]!))).toMatchObject({ tag: 'iq', attrs: ping.attrs });

  const received: BinaryNode[] = [];
  const answer: BinaryNode = { tag: 'iq', attrs: { id: '1', type: 'result' } };
  for (let i = 0; i < 2; i++) {
    await client.decodeFrame(encodeFrame(transport.encrypt(encodeBinaryNode(answer))), (node) => {
      received.push(node as BinaryNode);
    });
  }
  expect(received).toHaveLength(2);
  expect(received[1]).toMatchObject({ tag: 'iq', attrs: answer.attrs });
});
