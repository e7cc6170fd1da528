// The dashboard in a real Chromium against the Worker in workerd, with a scripted connector that reports
// what a WhatsApp session would: a rotating QR, statuses with reasons, a deleted session.
import QRCode from 'qrcode';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../shared/protocol.ts';
import { apiOf, createSession, type Api } from '../../testing/api.ts';
import { launchBrowser } from '../../testing/browser.ts';
import { connectScripted, type ScriptedConnector } from '../../testing/scripted-connector.ts';
import { startStack, type Stack } from '../../testing/stack.ts';
import { startWebhookReceiver } from '../../testing/webhook-receiver.ts';

let stack: Stack;
let api: Api;
let connector: ScriptedConnector;
let browser: Browser;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
/** The receiver fails every webhook while this is true. */
let receiverDown = false;

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => ({ status: receiverDown ? 500 : 200 }));
  // One failed attempt goes to the dead-letter queue at once, so a test reaches a dead delivery quickly.
  [stack, browser] = await Promise.all([
    startStack({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_BASE_SECONDS: '0' }, { webhookMaxRetries: 0 }),
    launchBrowser(),
  ]);
  api = apiOf(stack);
  connector = (await connectScripted(stack.hubUrl, { secret: stack.connectorSecret, connectorId: 'dashboard-script' })).script;
});
afterAll(async () => {
  await connector?.close();
  await browser?.close();
  await stack?.close();
  await receiver?.close();
});

async function qrEvent(ref: string): Promise<Extract<SessionEvent, { name: 'qr' }>> {
  return { name: 'qr', qr: ref, qrDataUrl: await QRCode.toDataURL(ref) };
}

/** Signed in, live, with the session open; every reload counted. */
async function signedIn(sessionId: string): Promise<{ page: Page; navigations: () => number }> {
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  await page.goto(`${stack.url}/dashboard`);
  await page.getByLabel('Admin token').fill(stack.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#stream-state', { hasText: 'Live' }).waitFor();
  await page.locator(`[data-session="${sessionId}"]`).click();
  return { page, navigations: () => navigations };
}

describe('the dashboard page', () => {
  it('is served at / and /dashboard with a Content-Security-Policy that allows no inline script or style and nothing from elsewhere', async () => {
    for (const path of ['/', '/dashboard']) {
      const response = await fetch(`${stack.url}${path}`);
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
      const html = await response.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
      expect(html).not.toMatch(/https?:\/\//);
    }
    const script = await fetch(`${stack.url}/dashboard/app.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).not.toMatch(/https?:\/\/|innerHTML/);
  });

  it('replaces the QR as WhatsApp rotates it and shows why the session is not WORKING, without a reload', async () => {
    const { sessionId } = await createSession(api);
    await connector.emit(sessionId, { name: 'connection.update', status: 'SCAN_QR_CODE', code: 'WAITING_FOR_SCAN', reason: 'scan the QR code' });
    const first = await qrEvent('2@first-ref,key,identity,adv');
    await connector.emit(sessionId, first);
    const { page, navigations } = await signedIn(sessionId);
    const qr = page.locator('#qr');
    await qr.waitFor({ state: 'visible' });
    expect(await qr.getAttribute('src')).toBe(first.qrDataUrl);
    await page.locator('#session-reason', { hasText: 'WAITING_FOR_SCAN' }).waitFor();

    const second = await qrEvent('2@second-ref,key,identity,adv');
    await connector.emit(sessionId, second);
    await page.locator(`#qr[src="${second.qrDataUrl}"]`).waitFor();

    await connector.emit(sessionId, { name: 'connection.update', status: 'STOPPED', code: 'QR_TIMEOUT', reason: 'no phone scanned the QR in 5 rounds' });
    await page.locator('#session-status', { hasText: 'STOPPED' }).waitFor();
    await page.locator('#session-reason', { hasText: 'QR_TIMEOUT: no phone scanned the QR in 5 rounds' }).waitFor();
    expect(await qr.isVisible()).toBe(false);
    expect(navigations()).toBe(1);
    await page.close();
  });

  it('drops a deleted session from the list as it happens', async () => {
    const { sessionId } = await createSession(api);
    const { page } = await signedIn(sessionId);
    expect((await api('DELETE', `/api/sessions/${sessionId}`, { admin: true })).status).toBe(200);
    await page.locator(`[data-session="${sessionId}"]`).waitFor({ state: 'detached' });
    expect(await page.locator('#session').isVisible()).toBe(false);
    await page.close();
  });

  it('keeps the token out of every URL it requests, and in this tab only', async () => {
    const { sessionId } = await createSession(api);
    const page = await browser.newPage();
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    page.on('websocket', (socket) => urls.push(socket.url()));
    await page.goto(`${stack.url}/`);
    await page.getByLabel('Admin token').fill(stack.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator(`[data-session="${sessionId}"]`).click();
    await page.locator('#session-status').waitFor();
    expect(urls.some((u) => u.includes('/api/stream?pass='))).toBe(true);
    expect(urls.filter((u) => u.includes(stack.adminToken))).toEqual([]);
    const other = await browser.newPage();
    await other.goto(`${stack.url}/`);
    expect(await other.evaluate(() => sessionStorage.getItem('kabar.adminToken'))).toBeNull();
    await other.close();
    await page.close();
  });

  it('replays a dead webhook delivery from the log, and the replayed attempt appears there', async () => {
    receiverDown = true;
    const { sessionId } = await createSession(api, { webhookUrl: `${receiver.url}/replayed`, webhookEvents: ['message.received'] });
    const { page } = await signedIn(sessionId);
    const eventId = await connector.emit(sessionId, { name: 'message.received', messageId: 'REPLAY1', from: '6281299990000', text: 'kirim ulang', timestamp: 1 });
    const row = page.locator(`#deliveries tr[data-event="${eventId}"]`);
    await row.filter({ hasText: 'dead' }).waitFor({ timeout: 30_000 });

    receiverDown = false;
    const replayed = receiver.next((h) => h.path === '/replayed' && JSON.parse(h.body).id === eventId && h.headers['x-kabar-event-id'] === eventId);
    await page.getByRole('button', { name: `Replay event ${eventId}` }).first().click();
    await page.locator('#deliveries-note', { hasText: `Replay queued for ${eventId}` }).waitFor();
    await row.filter({ hasText: 'delivered' }).waitFor({ timeout: 30_000 });
    // The log was refreshed for the delivery since; what the replay came to is still said.
    expect(await page.locator('#deliveries-note').textContent()).toBe(`Replay queued for ${eventId}.`);
    expect(JSON.parse((await replayed).body)).toMatchObject({ event: 'message.received', data: { text: 'kirim ulang' } });
    await page.close();
  });
});
