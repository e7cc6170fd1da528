// The dashboard in a real Chromium against the whole system: the Worker in workerd, libSQL, the connector
// process with real Baileys and the WhatsApp simulator. The operator's flow, as a person would click it.
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../testing/browser.ts';
import { eventually } from '../testing/eventually.ts';
import { startWebhookReceiver } from '../testing/webhook-receiver.ts';
import { newPhone, startSystem, type System } from './harness.ts';

let system: System;
let browser: Browser;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // The receiver is on loopback, which only a local deployment may call.
  [system, browser] = await Promise.all([startSystem({ vars: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await system?.close();
  await receiver?.close();
});

/** A fresh tab, with every page error and CSP violation it logs collected for the test to assert on. */
async function openDashboard(viewport = { width: 1280, height: 900 }): Promise<{ page: Page; problems: string[]; navigations: () => number }> {
  const context = await browser.newContext({ viewport });
  // Shorter than the test's own timeout, so a step that never happens is named in the failure.
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  // Script errors and CSP violations; a refused request is the page's to show, and is logged by the browser.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
  });
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  const response = await page.goto(`${system.stack.url}/`);
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  return { page, problems, navigations: () => navigations };
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Admin token').fill(token);
  await page.keyboard.press('Enter');
}

describe('the dashboard, in a browser', () => {
  it('walks the operator through sign-in, create, QR, scan, WORKING, send text and files, the delivery log and a key rotation, without a reload', async () => {
    const { api, simulator } = system;
    const { page, problems, navigations } = await openDashboard();
    await screenshot(page, 'sign-in');
    await signIn(page, system.stack.adminToken);
    await page.locator('#stream-state', { hasText: 'Live' }).waitFor();
    expect(page.url()).not.toContain(system.stack.adminToken);
    expect(await page.evaluate(() => sessionStorage.getItem('kabar.adminToken'))).toBe(system.stack.adminToken);

    // Create, with a webhook so the delivery log has something to show.
    await page.getByText('Create a session').click();
    await page.getByLabel('Session id (optional)').fill('dash-flow');
    await page.getByLabel('Webhook URL (optional)').fill(`${receiver.url}/hooks`);
    await page.getByLabel('Description (optional)').fill('Toko Jaya, front desk');
    await page.getByRole('button', { name: 'Create session' }).click();
    await page.locator('#secret-title', { hasText: 'API key of dash-flow' }).waitFor();
    await page.locator('#qr').waitFor({ state: 'visible' });
    await screenshot(page, 'create-and-qr');
    const apiKey = (await page.locator('#secret-value').textContent())!.split('\n')[0]!;
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(200);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.locator('#secret-value').textContent()).toBe('');

    // The QR the page shows is the one the API serves; the phone scans that one.
    const qr = page.locator('#qr');
    await qr.waitFor({ state: 'visible' });
    const shown = await qr.getAttribute('src');
    expect(shown).toMatch(/^data:image\/png;base64,/);
    const served = await api('GET', '/api/session/qr?format=raw', { key: apiKey });
    const image = await api('GET', '/api/session/qr', { key: apiKey });
    expect(image.json.qr).toBe(shown);
    const phone = newPhone();
    const linked = simulator.events.waitFor('device-connected', (d) => d.phone === phone, 15_000);
    await simulator.scan(served.json.qrRaw, phone);
    await linked;

    // WORKING arrives over the stream: the same page, never reloaded.
    await page.locator('#session-status', { hasText: 'WORKING' }).waitFor({ timeout: 20_000 });
    await page.locator('#session-user', { hasText: phone }).waitFor();
    expect(await qr.isVisible()).toBe(false);
    expect(await page.locator('[data-session="dash-flow"] .status').textContent()).toBe('WORKING');

    // Send a test message; the contact's phone gets it.
    const contact = newPhone();
    const stored = simulator.events.waitFor('message-stored', (m) => m.to === contact);
    await page.getByLabel('To (phone number or group JID)').fill(contact);
    await page.getByLabel('Message').fill('halo dari dashboard');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.locator('#send-result', { hasText: 'Sent.' }).waitFor();
    expect(await stored).toMatchObject({ from: phone, text: 'halo dari dashboard' });
    // The webhook of the message.sent event reaches the receiver and shows up in the delivery log.
    const hook = await receiver.next((h) => JSON.parse(h.body).event === 'message.sent' && JSON.parse(h.body).sessionId === 'dash-flow');
    const eventId = JSON.parse(hook.body).id as string;
    // Announced over the stream: the row appears without anyone pressing Refresh.
    await page.locator(`#deliveries tr[data-event="${eventId}"]`, { hasText: 'delivered' }).waitFor({ timeout: 20_000 });
    await page.locator('#connectors tr', { hasText: system.connector.connectorId }).waitFor();
    await screenshot(page, 'working');

    // Send files: a photo goes as an image, a PDF as a document with its name; both arrive byte-exact.
    const photo = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 20, g: 160, b: 90 } } }).jpeg().toBuffer();
    const report = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(50_000)]);
    const files = [
      { file: { name: 'toko.jpg', mimeType: 'image/jpeg', buffer: photo }, caption: 'etalase baru', media: { mimetype: 'image/jpeg', caption: 'etalase baru' }, type: 'image' },
      { file: { name: 'Laporan Mei.pdf', mimeType: 'application/pdf', buffer: report }, caption: '', media: { mimetype: 'application/pdf', filename: 'Laporan Mei.pdf' }, type: 'document' },
    ];
    for (const { file, caption, media, type } of files) {
      const arrived = simulator.events.waitFor('message-stored', (m) => m.to === contact && m.type === type, 30_000);
      await page.getByLabel('Message').fill(caption);
      await page.getByLabel('Attach a file (optional)').setInputFiles(file);
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.locator('#send-result', { hasText: 'Sent.' }).waitFor({ timeout: 30_000 });
      expect((await arrived).media).toMatchObject({ ...media, size: file.buffer.length, sha256: createHash('sha256').update(file.buffer).digest('hex') });
      expect(await page.getByLabel('Attach a file (optional)').inputValue()).toBe('');
    }

    // Rotate the key: the new one is shown once and works; the old one is refused.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await page.locator('#secret-title', { hasText: 'New API key of dash-flow' }).waitFor();
    await screenshot(page, 'key-rotated');
    const newKey = (await page.locator('#secret-value').textContent())!;
    expect(newKey).not.toBe(apiKey);
    expect((await api('GET', '/api/session/status', { key: newKey })).status).toBe(200);
    expect((await api('GET', '/api/session/status', { key: apiKey })).status).toBe(401);

    expect(navigations()).toBe(1);
    expect(problems).toEqual([]);
    await page.context().close();
  }, 180_000);

  it('refuses a wrong admin token: the sign-in form stays, says why, and keeps nothing', async () => {
    const { page, problems } = await openDashboard();
    await signIn(page, 'not-the-admin-token');
    await page.locator('#sign-in-error', { hasText: 'Sign-in refused' }).waitFor();
    expect(await page.locator('#app').isVisible()).toBe(false);
    expect(await page.getByLabel('Admin token').isVisible()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('kabar.adminToken'))).toBeNull();
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('fits a 375 px wide phone screen without sideways scrolling, with a session open', async () => {
    const { page, problems } = await openDashboard({ width: 375, height: 812 });
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(await overflow()).toBe(0);
    await signIn(page, system.stack.adminToken);
    await page.locator('#stream-state', { hasText: 'Live' }).waitFor();
    await page.getByText('Create a session').click();
    await page.getByLabel('Session id (optional)').fill('narrow-screen-with-a-long-session-id-0123456789');
    await page.getByRole('button', { name: 'Create session' }).click();
    await page.locator('#qr').waitFor({ state: 'visible' });
    await eventually(async () => expect(await page.locator('#deliveries-note').textContent()).not.toBe(''));
    expect(await overflow()).toBe(0);
    await screenshot(page, 'phone-375px');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
