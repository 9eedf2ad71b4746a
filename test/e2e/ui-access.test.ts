import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ndjson,
  postLogs,
  type Reply,
  ROOT,
  startTestServer,
  type TestServer,
  waitFor,
} from '../helpers/server.js';
import { buildUi, CHROMIUM, HAVE_CHROMIUM, launch, REQUIRE_CHROMIUM, WatchedPage } from './browser.js';

/**
 * The web UI against a server with access control on (`--access-file`): the sign-in screen, what
 * each role sees and may do, signing out, and a session that ends under the user. Any console
 * error fails the test it happens in, but the 401s and 403s a test provokes on purpose.
 */

const KEYS = {
  admin: 'alice-secret-key-0001',
  viewer: 'bob-secret-key-000001',
  payments: 'carol-payments-key-01',
  ingest: 'dave-ingest-key-00001',
};

const ACCESS = {
  roles: { payments: { permissions: ['read'], filter: 'resourceId:payments-*' } },
  keys: [
    { name: 'alice', role: 'admin', key: KEYS.admin },
    { name: 'bob', role: 'viewer', key: KEYS.viewer },
    { name: 'carol', role: 'payments', key: KEYS.payments },
    { name: 'dave', role: 'ingest', key: KEYS.ingest },
  ],
};

const RECORDS = [
  { level: 'info', message: 'charge accepted', resourceId: 'payments-1', timestamp: '2024-03-01T10:00:00Z' },
  { level: 'error', message: 'card declined', resourceId: 'payments-1', timestamp: '2024-03-01T10:05:00Z' },
  { level: 'info', message: 'refund issued', resourceId: 'payments-2', timestamp: '2024-03-02T09:00:00Z' },
  { level: 'info', message: 'GET / 200', resourceId: 'web-1', timestamp: '2024-03-01T10:01:00Z' },
  { level: 'error', message: 'upstream timed out', resourceId: 'web-1', timestamp: '2024-03-01T10:06:00Z' },
  { level: 'warn', message: 'slow response', resourceId: 'web-2', timestamp: '2024-03-03T12:00:00Z' },
];
const PAYMENTS = RECORDS.filter((r) => r.resourceId.startsWith('payments-'));

/** A curated copy for the docs, written only on request: `SAWMILL_DOCS_IMAGES=1 npx vitest run …`. */
const DOCS_IMAGES = process.env.SAWMILL_DOCS_IMAGES === '1';

const suite = HAVE_CHROMIUM || REQUIRE_CHROMIUM ? describe : describe.skip;

let s: TestServer;
let dir: string;
let browser: Browser;
let w: WatchedPage;
let page: Page;

/** An API call with a key, as a script or shipper makes it. */
async function call(method: string, pathname: string, key: string, body?: unknown) {
  const res = await fetch(`${s.url}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Reply };
}

suite('web UI with access control', () => {
  beforeAll(async () => {
    if (!HAVE_CHROMIUM) {
      throw new Error(`CI=true and no Chromium at ${CHROMIUM}: install it with apt-get install -y chromium`);
    }
    dir = await mkdtemp(path.join(tmpdir(), 'sawmill-access-'));
    const accessFile = path.join(dir, 'access.json');
    await writeFile(accessFile, JSON.stringify(ACCESS, null, 2));
    [s] = await Promise.all([startTestServer({ accessFile }), buildUi()]);

    // Without a key the server answers 401; with the admin's, ingest and saving work.
    expect((await postLogs(s.url, ndjson(RECORDS), { 'content-type': 'application/x-ndjson' })).status).toBe(
      401,
    );
    const r = await postLogs(s.url, ndjson(RECORDS), {
      'content-type': 'application/x-ndjson',
      authorization: `Bearer ${KEYS.admin}`,
    });
    expect(r.body.accepted).toBe(RECORDS.length);
    await waitFor(async () => {
      const found = await call('GET', '/api/v1/search?limit=100', KEYS.admin);
      return found.status === 200 && found.body.hits.length === RECORDS.length;
    });
    const saved = await call('POST', '/api/v1/saved-searches', KEYS.admin, {
      name: 'Errors',
      query: 'level:error',
    });
    expect(saved.status).toBe(201);
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await s?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    w = await WatchedPage.open(browser, s.url);
    page = w.page;
  });

  afterEach(async () => {
    const errors = w.errors;
    await w.close();
    expect(errors, 'console errors in the page').toEqual([]);
  });

  it('asks for a key, explains a wrong one, signs a viewer in and keeps the search in the URL', async () => {
    w.allow(/status of 401/, /\/api\/v1\/session$/); // the wrong key, on purpose
    const apiCalls: string[] = [];
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.pathname.startsWith('/api/')) apiCalls.push(`${req.method()} ${u.pathname}`);
    });
    await page.goto('/?q=level%3Aerror');
    const form = page.getByTestId('sign-in');
    await signInShown();
    // Nothing of the explorer, and nothing asked of the API but who is signed in.
    expect(await page.locator('.topbar').count()).toBe(0);
    expect(apiCalls).toEqual(['GET /api/v1/session']);
    const key = page.getByLabel('Access key');
    expect(await key.getAttribute('type')).toBe('password');
    expect(await form.textContent()).toContain('Ask your Sawmill admin for a key (sawmill keygen)');
    expect(await page.getByTestId('session-ended').count()).toBe(0);
    await w.shot('sign-in');
    if (DOCS_IMAGES) {
      const box = (await form.boundingBox())!;
      const pad = 48;
      await page.screenshot({
        path: path.join(ROOT, 'docs/images/ui-sign-in.png'),
        clip: { x: box.x - pad, y: box.y - pad, width: box.width + 2 * pad, height: box.height + 2 * pad },
      });
    }

    await key.fill('not-a-key-of-anyone');
    await key.press('Enter');
    await expect.poll(() => form.getByRole('alert').textContent()).toBe('the key is not valid');
    await w.shot('sign-in-wrong-key');

    await runSearch(async () => {
      await key.fill(KEYS.viewer);
      await key.press('Enter');
    });
    expect(new URL(page.url()).searchParams.get('q')).toBe('level:error');
    expect(await page.getByLabel('Query').inputValue()).toBe('level:error');
    expect((await page.locator('.record .message').allTextContents()).sort()).toEqual([
      'card declined',
      'upstream timed out',
    ]);
    expect(await page.locator('.user-name').textContent()).toBe('bob · viewer');
    expect(await page.getByTestId('user-filter').count()).toBe(0);
    // The session is an HttpOnly cookie: the page's scripts cannot read it.
    expect((await page.context().cookies()).map((c) => [c.name, c.httpOnly])).toEqual([
      ['sawmill_session', true],
    ]);
    expect(await page.evaluate<string>('document.cookie')).not.toContain('sawmill_session');

    // A viewer lists and opens saved searches but can neither save nor delete them.
    await page.getByRole('button', { name: 'Saved' }).click();
    await page.locator('.saved-list li', { hasText: 'Errors' }).waitFor();
    expect(await page.locator('[name="saved-name"]').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save current' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Delete/ }).count()).toBe(0);
    expect(await page.getByTestId('saved-read-only').textContent()).toContain('(viewer)');
    await w.shot('saved-read-only');
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await form.waitFor();
    expect(await page.getByTestId('session-ended').count()).toBe(0);
    expect(await page.context().cookies()).toEqual([]);
    await page.reload();
    await form.waitFor();
  });

  it('shows a filtered role only its records, in the results and the histogram', async () => {
    await page.goto('/');
    const histogram = await runSearch(() => signIn(KEYS.payments));
    expect(await page.locator('.user-name').textContent()).toBe('carol · payments');
    expect(await page.getByTestId('user-filter').textContent()).toBe('sees: resourceId:payments-*');
    expect((await page.locator('.record .resource').allTextContents()).sort()).toEqual(
      PAYMENTS.map((r) => r.resourceId).sort(),
    );
    // The count comes from the histogram, which the server narrowed by the same filter.
    const total = histogram.buckets.reduce((n: number, b: Reply) => n + b.total, 0);
    expect(total).toBe(PAYMENTS.length);
    expect(await page.getByTestId('match-count').textContent()).toBe(`${PAYMENTS.length} matches`);
    await w.shot('signed-in-filtered');

    // Another team's resource, asked for by name, is simply not there.
    const input = page.getByLabel('Query');
    await runSearch(() => input.fill('resourceId:web-1').then(() => input.press('Enter')));
    await page.getByTestId('empty-state').waitFor();
    await runSearch(() => input.fill('level:error').then(() => input.press('Enter')));
    expect(await page.locator('.record .message').allTextContents()).toEqual(['card declined']);
  });

  it('brings the user back to sign in when the session ends, keeping the search', async () => {
    // The requests made after the cookie is gone answer 401: that is what this test is about.
    w.allow(/status of 401/, /\/api\/v1\/(search|histogram|fields|validate)\?/);
    await page.goto('/?q=level%3Ainfo');
    await runSearch(() => signIn(KEYS.viewer));
    expect(await page.locator('.record').count()).toBe(RECORDS.filter((r) => r.level === 'info').length);

    await page.context().clearCookies();
    const input = page.getByLabel('Query');
    await input.fill('level:warn');
    await input.press('Enter');
    await signInShown();
    expect(await page.getByTestId('session-ended').textContent()).toBe('Your session ended; sign in again.');
    expect(await page.getByTestId('error-state').count()).toBe(0);
    await w.shot('session-ended');

    await runSearch(() => signIn(KEYS.viewer));
    expect(new URL(page.url()).searchParams.get('q')).toBe('level:warn');
    expect(await page.getByLabel('Query').inputValue()).toBe('level:warn');
    expect(await page.locator('.record .message').allTextContents()).toEqual(['slow response']);

    // Export while signed in downloads the matches; once the session is gone it asks to sign in
    // instead of saving the 401 as the file.
    const exportNdjson = () =>
      page
        .getByRole('button', { name: 'Export' })
        .click()
        .then(() => page.getByRole('menuitem', { name: /NDJSON/ }).click());
    const [download] = await Promise.all([page.waitForEvent('download'), exportNdjson()]);
    const lines = (await readFile((await download.path())!, 'utf8')).trim().split('\n');
    expect(lines.map((l: string) => JSON.parse(l).message)).toEqual(['slow response']);
    await page.context().clearCookies();
    let downloaded = false;
    page.on('download', () => {
      downloaded = true;
    });
    await exportNdjson();
    await signInShown();
    expect(await page.getByTestId('session-ended').count()).toBe(1);
    expect(downloaded).toBe(false);
  });

  it('shows the server’s message when the role may not search', async () => {
    w.allow(/status of 403/, /\/api\/v1\/(search|histogram|fields)\?/);
    await page.goto('/');
    await runSearch(() => signIn(KEYS.ingest));
    const error = page.getByTestId('error-state');
    await error.waitFor();
    expect(await error.locator('.error-message').textContent()).toMatch(
      /^key "dave" \(role ingest\) may not GET \/api\/v1\/search: that needs the "read" permission$/,
    );
    expect(await error.textContent()).toContain('Not allowed');
    expect(await page.locator('.user-name').textContent()).toBe('dave · ingest');
    await w.shot('forbidden');
  });

  it('changes nothing when access control is off', async () => {
    const open = await startTestServer();
    const other = await WatchedPage.open(browser, open.url);
    try {
      await other.page.goto('/');
      await other.page.getByText('No logs yet').waitFor();
      expect(await other.page.getByTestId('sign-in').count()).toBe(0);
      expect(await other.page.getByTestId('user-badge').count()).toBe(0);
      await other.page.getByRole('button', { name: 'Saved' }).click();
      await other.page.locator('[name="saved-name"]').waitFor();
      expect(other.errors).toEqual([]);
    } finally {
      await other.close();
      await open.close();
    }
  });
});

/** The sign-in screen, its logo loaded (a screenshot does not wait for images). */
async function signInShown(): Promise<void> {
  await page.getByTestId('sign-in').waitFor();
  // Through the DevTools protocol, not a string evaluated in the page (the CSP forbids eval).
  const logo = page.locator('.signin-brand img');
  await expect
    .poll(() => logo.evaluate((img) => (img as unknown as { complete: boolean }).complete))
    .toBe(true);
}

async function signIn(key: string): Promise<void> {
  const input = page.getByLabel('Access key');
  await input.fill(key);
  await input.press('Enter');
}

/** Does `action` and waits for the search and histogram it starts; returns the histogram's reply. */
async function runSearch(action: () => Promise<unknown>): Promise<Reply> {
  const searched = page.waitForResponse((r) => r.url().includes('/api/v1/search?'));
  const histogram = page.waitForResponse((r) => r.url().includes('/api/v1/histogram'));
  // If the action fails the page closes under these waits: that must not become an unhandled rejection.
  searched.catch(() => undefined);
  histogram.catch(() => undefined);
  await action();
  const [, h] = await Promise.all([searched, histogram]);
  await page.locator('.status .spinner').waitFor({ state: 'detached' });
  return h.json();
}
