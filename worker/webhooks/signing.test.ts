// A deployment with no WEBHOOK_SECRET: webhooks are signed all the same, with a secret the session owns.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../shared/protocol.ts';
import { apiOf, type Api } from '../../testing/api.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { startWebhookReceiver, type ReceivedHook } from '../../testing/webhook-receiver.ts';

let stack: Stack;
let api: Api;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let connector: ScriptedConnector;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStack({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_BASE_SECONDS: '0', WEBHOOK_URL: `${receiver.url}/default` });
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'signing' })).script;
});
afterAll(async () => {
  await connector?.close();
  await stack?.close();
  await receiver?.close();
});

const incoming = (text: string): SessionEvent => ({ name: 'message.received', messageId: `M${Math.random()}`, from: '6281299990000', text, timestamp: 1700000000000 });
const hmac = (secret: string, text: string) => `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;
const signedWith = (hook: ReceivedHook, secret: string) =>
  hook.headers['x-kabar-signature'] === hmac(secret, `${hook.headers['x-kabar-timestamp']}.${hook.body}`) &&
  hook.headers['x-hub-signature-256'] === hmac(secret, hook.body);

describe('webhook signing without WEBHOOK_SECRET', () => {
  it('generates a secret for a webhook URL given without one, returns it once, and signs with it', async () => {
    const created = await api('POST', '/api/session/create', { admin: true, body: { webhookUrl: `${receiver.url}/own` } });
    expect(created.status).toBe(201);
    expect(created.json.webhookSecret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const id = await connector.emit(created.json.sessionId, incoming('signed'));
    const hook = await receiver.next((h) => h.headers['x-kabar-event-id'] === id);
    expect(signedWith(hook, created.json.webhookSecret)).toBe(true);
  });

  it('returns no secret when the caller chose one', async () => {
    const created = await api('POST', '/api/session/create', { admin: true, body: { webhookUrl: `${receiver.url}/own`, webhookSecret: 'chosen-by-the-owner-0123' } });
    expect(created.status).toBe(201);
    expect(created.json.webhookSecret).toBeUndefined();
  });

  it('signs deliveries to WEBHOOK_URL with a secret stored for the session, the same one every time', async () => {
    await api('PUT', '/api/client/store', { admin: true, body: { phone: '6281255550000', user_id: 9, api_token: 'sanctum|t' } });
    const first = await connector.emit('6281255550000', incoming('one'));
    const second = await connector.emit('6281255550000', incoming('two'));
    const hooks = await Promise.all([first, second].map((id) => receiver.next((h) => h.headers['x-kabar-event-id'] === id)));
    const stored = (await stack.db.execute({ sql: 'select webhook_secret from sessions where id = ?', args: ['6281255550000'] })).rows[0]?.webhook_secret;
    expect(String(stored)).toMatch(/^whsec_[0-9a-f]{64}$/);
    for (const hook of hooks) expect(signedWith(hook, String(stored))).toBe(true);
  });
});
