import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

const BUILD_LOCK = path.join(ROOT, 'dist', '.ui-build.lock');
const BUILD_STAMP = path.join(ROOT, 'dist', '.ui-build.stamp');

/**
 * Builds the UI from ui/ into dist/ui, where the server under test serves it from. Several test
 * files run at once and each calls this: a build empties dist/ui first, which would pull the files
 * from under another file's running page. So one process builds at a time (a lock directory), and
 * a build whose sources have not changed since the last one is skipped.
 */
export async function buildUi(): Promise<void> {
  await mkdir(path.dirname(BUILD_LOCK), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(BUILD_LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (await stat(BUILD_LOCK).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 120_000 || Date.now() > deadline) await rm(BUILD_LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    const stamp = await sourcesDigest();
    const built = await readFile(BUILD_STAMP, 'utf8').catch(() => '');
    if (built === stamp && existsSync(path.join(ROOT, 'dist/ui/index.html'))) return;
    await build({ configFile: path.join(ROOT, 'ui/vite.config.ts'), logLevel: 'warn' });
    await writeFile(BUILD_STAMP, stamp);
  } finally {
    await rm(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** Everything a UI build reads from this repository: ui/ and the pinned dependencies. */
async function sourcesDigest(): Promise<string> {
  const hash = createHash('sha256');
  const files = [path.join(ROOT, 'package-lock.json')];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else files.push(p);
    }
  };
  await walk(path.join(ROOT, 'ui'));
  for (const f of files.sort()) hash.update(`${path.relative(ROOT, f)}\0`).update(await readFile(f));
  return hash.digest('hex');
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
  private allowed: Array<{ text: RegExp; url?: RegExp }> = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') this.record(`console: ${m.text()}`, m.location().url);
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

  /**
   * Declares console errors this test provokes on purpose; `url`, when given, must also match the
   * address the message is about (a failed request's URL), so only that request's error is allowed.
   */
  allow(pattern: RegExp, url?: RegExp): void {
    this.allowed.push({ text: pattern, url });
  }

  private record(text: string, url = ''): void {
    if (!this.allowed.some((a) => a.text.test(text) && (!a.url || a.url.test(url)))) {
      this.errors.push(url ? `${text} (${url})` : text);
    }
  }

  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
