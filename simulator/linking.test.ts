import { DisconnectReason } from '@whiskeysockets/baileys';
import { describe, expect, test } from 'vitest';
import { useSimulator } from './test-fixture.ts';
import { QrMismatch, UnknownQr } from './errors.ts';
import { verifySignature } from './pairing.ts';
import type { Simulator } from './server.ts';
import { connectClient, linkClient } from './test-client.ts';
import type { TestClient } from './test-client.ts';

let simulator: Simulator;
const track = useSimulator((started) => (simulator = started));

describe('QR pairing', () => {
  test('a new device is shown QR codes whose ref rotates while its keys stay the same', async () => {
    const client = connectClient(simulator.wsUrl, { qrTimeout: 150 });
    track(client);
    const first = (await client.connection((update) => !!update.qr)).qr!;
    const second = (await client.connection((update) => !!update.qr && update.qr !== first)).qr!;
    const [firstRef, ...firstKeys] = first.split(',');
    const [secondRef, ...secondKeys] = second.split(',');
    expect(secondRef).not.toBe(firstRef);
    expect(secondKeys).toEqual(firstKeys);
  });

  test('a phone scanning the QR links the device, which restarts with 515 and then logs in and opens', async () => {
    const pairing = connectClient(simulator.wsUrl, { qrTimeout: 250 });
    track(pairing);
    const first = (await pairing.connection((update) => !!update.qr)).qr!;
    // Scan a rotated QR, as a slow user would.
    const rotated = (await pairing.connection((update) => !!update.qr && update.qr !== first)).qr!;
    const linked = simulator.events.waitFor('device-linked');
    const { jid } = await simulator.scan(rotated, '6281100000001');
    expect(jid).toMatch(/^6281100000001:\d+@s\.whatsapp\.net$/);
    expect(await linked).toMatchObject({ phone: '6281100000001', jid });
    expect((await pairing.closed()).statusCode).toBe(DisconnectReason.restartRequired);
    expect(pairing.state.creds.me?.id).toBe(jid);
    expect(pairing.state.creds.me?.lid).toMatch(/^\d+:\d+@lid$/);

    const connected = simulator.events.waitFor('device-connected', (event) => event.phone === '6281100000001');
    const client = connectClient(simulator.wsUrl, { state: pairing.state });
    track(client);
    await client.connection((update) => update.connection === 'open');
    await connected;
    await client.connection((update) => update.receivedPendingNotifications === true);
  });

  test('the device counter-signs a valid account signature, which verifies with real XEdDSA', async () => {
    const client = await linkClient(simulator, '6281100000002', track);
    const account = client.state.creds.account!;
    const identity = client.state.creds.signedIdentityKey.public;
    const message = Buffer.concat([Buffer.from([6, 0]), account.details!, identity]);
    expect(verifySignature(account.accountSignatureKey!, message, account.accountSignature!)).toBe(true);
  });

  test('the connection stays open while keep-alive pings are answered', async () => {
    const client = await linkClient(simulator, '6281100000003', track, { keepAliveIntervalMs: 50 });
    let pings = 0;
    await simulator.events.waitFor('iq-answered', (iq) => iq.phone === '6281100000003' && iq.xmlns === 'w:p' && ++pings === 3);
    expect(client.sock.ws.isOpen).toBe(true);
  });

  test('a QR whose keys were altered is refused, and the untouched QR still links once only', async () => {
    const pairing = connectClient(simulator.wsUrl);
    track(pairing);
    const { qr } = await pairing.connection((update) => !!update.qr);
    const [ref, , ...rest] = qr!.split(',');
    const altered = [ref, Buffer.alloc(32, 7).toString('base64'), ...rest].join(',');
    await expect(simulator.scan(altered, '6281100000006')).rejects.toBeInstanceOf(QrMismatch);
    await simulator.scan(qr!, '6281100000006');
    await expect(simulator.scan(qr!, '6281100000007')).rejects.toBeInstanceOf(UnknownQr);
  });

  test('scanning a QR no device is showing is refused', async () => {
    const qr = `2@unknown,${Buffer.alloc(32, 1).toString('base64')},${Buffer.alloc(32, 2).toString('base64')},${Buffer.alloc(32, 3).toString('base64')},1`;
    await expect(simulator.scan(qr, '6281100000004')).rejects.toBeInstanceOf(UnknownQr);
  });
});
