// A real Chromium for browser tests and screenshots, from npm alone: @sparticuz/chromium ships the binary
// brotli-packed inside its package and playwright-core drives it, so a fresh `npm ci` needs nothing else.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import chromium from '@sparticuz/chromium';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';

/** Unpacked once per machine and version, beside the packages it came from (about 200 MB). */
const MODULES = join(import.meta.dirname, '..', 'node_modules');
const CACHE = join(MODULES, '.cache', 'kabar-chromium');
const FONTS_CONF = 'kabar-fonts.conf';

let unpacking: Promise<string> | undefined;

/**
 * The package unpacks into os.tmpdir() and counts a file that exists as done, so two processes unpacking at
 * once could start a half-written binary. Each unpacks into its own staging folder, moved into place whole.
 */
async function unpack(): Promise<string> {
  const { version } = JSON.parse(await readFile(join(MODULES, '@sparticuz', 'chromium', 'package.json'), 'utf8')) as { version: string };
  const dir = join(CACHE, version);
  if (existsSync(join(dir, 'chromium'))) return dir;
  await mkdir(CACHE, { recursive: true });
  const staging = await mkdtemp(join(CACHE, 'staging-'));
  const tmpdir = process.env.TMPDIR;
  // executablePath() reads os.tmpdir() as it unpacks, which follows TMPDIR.
  process.env.TMPDIR = staging;
  try {
    await chromium.executablePath();
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
  // The package's fonts.conf names /tmp/fonts; this one names the fonts where they are.
  await writeFile(
    join(staging, FONTS_CONF),
    `<?xml version="1.0"?>\n<fontconfig><dir>${join(dir, 'fonts', 'fonts')}</dir><cachedir>${join(dir, 'fonts-cache')}</cachedir></fontconfig>\n`,
  );
  try {
    await rename(staging, dir);
  } catch (error) {
    // Another process finished first: its copy is as good as ours.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(join(dir, 'chromium'))) throw error;
  }
  return dir;
}

export async function launchBrowser(): Promise<Browser> {
  unpacking ??= unpack();
  const dir = await unpacking;
  return playwright.launch({
    executablePath: join(dir, 'chromium'),
    // Not the package's own flag set, which is made for Lambda and turns web security off: the dashboard's
    // Content-Security-Policy must be enforced here as in any browser. No sandbox: tests run as root.
    args: ['--no-sandbox', '--disable-gpu'],
    env: { ...process.env, FONTCONFIG_FILE: join(dir, FONTS_CONF) },
  });
}

/**
 * With KABAR_SCREENSHOTS set (`npm run screenshots`), saves the page as <that folder>/<name>.png, so the
 * README's pictures come from the browser test's own flow; otherwise does nothing.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.KABAR_SCREENSHOTS;
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
