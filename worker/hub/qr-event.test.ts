import WebSocket from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConnectorFrame } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { startWebhookReceiver } from '../../testing/webhook-receiver.ts';

let stack: Stack;
let api: Api;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let connector: ScriptedConnector;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // The receiver is on loopback, which only local development may target.
  stack = await startStack({ WEBHOOK_RETRY_BASE_SECONDS: '0', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'qr' })).script;
});
afterAll(async () => {
  await connector.close();
  await stack.close();
  await receiver.close();
});

it('keeps no QR image or code in the event log, while the webhook, the live stream and the QR endpoint still carry them', async () => {
  const { sessionId, apiKey } = await createSession(api, { webhookUrl: `${receiver.url}/qr` });
  await connector.next('desired', (f) => f.sessions[0]?.sessionId === sessionId);
  const stream = new WebSocket(`${stack.hubUrl}/api/events?apiKey=${apiKey}`);
  const streamed: string[] = [];
  const seen = (match: (t: string) => boolean) =>
    new Promise<string>((resolve) => {
      const found = streamed.find(match);
      if (found) return resolve(found);
      const listener = (data: WebSocket.RawData) => {
        if (!match(data.toString())) return;
        stream.off('message', listener);
        resolve(data.toString());
      };
      stream.on('message', listener);
    });
  stream.on('message', (data) => streamed.push(data.toString()));
  await seen((t) => t.includes('stream.ready'));

  const qr = { name: 'qr' as const, qr: '2@secret-ref,secret-key,secret-id', qrDataUrl: 'data:image/png;base64,U0VDUkVUUE5H' };
  const frame: ConnectorFrame = { type: 'event', id: `qr-${Date.now()}`, sessionId, at: Date.now(), event: qr };
  connector.send(frame);
  await connector.next('ack', (a) => a.ids.includes(frame.id));

  const stored = await stack.db.execute({ sql: 'select name, payload from events where id = ?', args: [frame.id] });
  expect(stored.rows[0]?.name).toBe('qr');
  expect(String(stored.rows[0]?.payload)).not.toContain('secret');
  expect(String(stored.rows[0]?.payload)).not.toContain('U0VDUkVUUE5H');

  const hook = await receiver.next((h) => h.headers['x-kabar-event-id'] === frame.id);
  expect(JSON.parse(hook.body)).toMatchObject({ id: frame.id, event: 'qr', sessionId, data: { qr: qr.qr, qrDataUrl: qr.qrDataUrl } });
  expect(JSON.parse(await seen((t) => t.includes(frame.id)))).toMatchObject({ event: 'qr', data: { qr: qr.qr, qrDataUrl: qr.qrDataUrl } });
  expect((await api('GET', '/api/session/qr', { key: apiKey })).json).toMatchObject({ status: 'SCAN_QR_CODE', qr: qr.qrDataUrl });
  stream.close();
});
