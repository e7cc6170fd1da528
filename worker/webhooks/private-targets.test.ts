// A deployment without WEBHOOK_ALLOW_PRIVATE_TARGETS: webhook URLs may not point into the network the
// Worker runs in, neither when they are set nor when an event is delivered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { eventually } from '../../testing/eventually.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { startWebhookReceiver } from '../../testing/webhook-receiver.ts';
import { readConfig } from '../config.ts';

let stack: Stack;
let api: Api;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let connector: ScriptedConnector;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStack({ WEBHOOK_RETRY_BASE_SECONDS: '0' }, { webhookMaxRetries: 2 });
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'private-targets' })).script;
});
afterAll(async () => {
  await connector?.close();
  await stack?.close();
  await receiver?.close();
});

async function sessionCount(): Promise<number> {
  return Number((await stack.db.execute('select count(*) from sessions')).rows[0]?.[0]);
}

describe('webhook targets without WEBHOOK_ALLOW_PRIVATE_TARGETS', () => {
  it.each([
    ['the loopback receiver', () => `${receiver.url}/hook`, 'loopback'],
    ['a decimal IPv4 loopback', () => 'http://2130706433/hook', 'loopback'],
    ['an IPv4-mapped IPv6 loopback', () => 'http://[::ffff:127.0.0.1]/hook', 'loopback'],
    ['IPv6 loopback', () => 'http://[::1]:8080/hook', 'loopback'],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data', 'link-local'],
    ['a private network address', () => 'https://192.168.1.10/hook', 'private network'],
    ['localhost by name', () => 'http://localhost:3000/hook', 'local host name'],
    ['an *.internal name', () => 'http://metadata.google.internal/', 'local host name'],
  ])('refuses %s at creation with a 400 naming webhookUrl, creating nothing', async (_, url, why) => {
    const before = await sessionCount();
    const { status, json } = await api('POST', '/api/session/create', { admin: true, body: { webhookUrl: url() } });
    expect(status).toBe(400);
    expect(json).toMatchObject({ success: false, code: 'VALIDATION_FAILED', details: [{ field: 'webhookUrl', message: expect.stringContaining(why) }] });
    expect(json.error).toContain('WEBHOOK_ALLOW_PRIVATE_TARGETS');
    expect(await sessionCount()).toBe(before);
  });

  it('refuses at delivery a private URL stored before the rule, and records why', async () => {
    const { sessionId, apiKey } = await createSession(api);
    await stack.db.execute({ sql: 'update sessions set webhook_url = ? where id = ?', args: [`${receiver.url}/stored-before`, sessionId] });
    const id = await connector.emit(sessionId, { name: 'message.received', messageId: 'M1', from: '6281200000001', text: 'hi', timestamp: 1700000000000 });
    const log = await eventually(async () => {
      const deliveries: { outcome: string; error: string | null }[] = (await api('GET', `/api/webhooks/deliveries?eventId=${id}`, { key: apiKey })).json.deliveries;
      expect(deliveries.length).toBeGreaterThan(0);
      return deliveries;
    });
    expect(log).toEqual([expect.objectContaining({ outcome: 'failed', error: expect.stringContaining('127.0.0.1 is a loopback address') })]);
    expect(receiver.received.filter((h) => h.headers['x-kabar-event-id'] === id)).toEqual([]);
  });

  it('refuses a private WEBHOOK_URL as a misconfiguration naming the variable', () => {
    const env = { TURSO_DATABASE_URL: 'http://127.0.0.1:1', ADMIN_TOKEN: 'a'.repeat(16), CONNECTOR_SECRET: 'c'.repeat(16) };
    expect(() => readConfig({ ...env, WEBHOOK_URL: 'http://10.0.0.5/hook' })).toThrow(/WEBHOOK_URL: must be a public Internet address; 10\.0\.0\.5/);
    expect(readConfig({ ...env, WEBHOOK_URL: 'http://10.0.0.5/hook', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }).WEBHOOK_URL).toBe('http://10.0.0.5/hook');
    expect(() => readConfig({ ...env, WEBHOOK_URL: 'ftp://example.com/' })).toThrow(/WEBHOOK_URL/);
  });
});
