import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, type ConsoleMessage, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { ROOT } from '../helpers/server.js';

/**
 * Debian's chromium, driven by playwright-core. Never a downloaded browser: CI installs the
 * package (.ci/run), and a developer machine without it skips these tests, loudly.
 */
export const CHROMIUM = process.env.SAWMILL_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const REQUIRE_CHROMIUM = process.env.CI === 'true';
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');

if (!HAVE_CHROMIUM && !REQUIRE_CHROMIUM) {
  process.stderr.write(
    `\n⚠⚠⚠  SKIPPING the web UI end-to-end tests: no Chromium at ${CHROMIUM}.\n` +
      '     Install it with `apt-get install -y chromium` (or set SAWMILL_CHROMIUM). Under CI=true this fails.\n\n',
  );
}

/** Builds the UI from ui/ into dist/ui, where the server under test serves it from. */
export async function buildUi(): Promise<void> {
  await build({ configFile: path.join(ROOT, 'ui/vite.config.ts'), logLevel: 'warn' });
}

export async function launch(): Promise<Browser> {
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A page whose console errors and uncaught exceptions are collected: every test ends by asserting
 * there were none, except the ones it declared it expects (a 400 for a deliberate syntax error).
 */
export class WatchedPage {
  readonly errors: string[] = [];
  private allowed: RegExp[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') this.record(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.record(`page error: ${e.message}`));
  }

  static async open(browser: Browser, baseURL: string, colorScheme: 'light' | 'dark' = 'light') {
    const context = await browser.newContext({
      baseURL,
      viewport: { width: 1400, height: 900 },
      colorScheme,
      acceptDownloads: true,
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
    return new WatchedPage(context, await context.newPage());
  }

  /** Declares console errors this test provokes on purpose. */
  allow(pattern: RegExp): void {
    this.allowed.push(pattern);
  }

  private record(text: string): void {
    if (!this.allowed.some((p) => p.test(text))) this.errors.push(text);
  }

  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
