import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ndjson, type Reply, startTestServer, type TestServer, waitFor } from '../helpers/server.js';

/**
 * Role-based access, end to end over HTTP: who may call what (401 without a key, 403 without the
 * permission), every way a key can be sent, browser sessions, and a role's filter narrowing every
 * read. docs/access.md is the specification.
 */
const KEYS = {
  admin: 'admin-secret-key-00001',
  shipper: 'shipper-secret-key-001',
  viewer: 'viewer-secret-key-0001',
  editor: 'editor-secret-key-0001',
  payments: 'payments-secret-key-01',
  monitor: 'monitor-secret-key-001',
};

const ACCESS_FILE = {
  roles: {
    payments: { permissions: ['read'], filter: 'resourceId:payments-*' },
    monitor: { permissions: ['metrics'] },
  },
  keys: [
    { name: 'ops', role: 'admin', key: KEYS.admin },
    { name: 'fluent-bit', role: 'ingest', key: KEYS.shipper },
    { name: 'bob', role: 'viewer', key: KEYS.viewer },
    { name: 'erin', role: 'editor', key: KEYS.editor },
    { name: 'pay-team', role: 'payments', key: KEYS.payments },
    { name: 'prometheus', role: 'monitor', key: KEYS.monitor },
  ],
};

let s: TestServer;
let dir: string;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function call(
  method: string,
  pathname: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Headers; body: Reply }> {
  const res = await fetch(`${s.url}${pathname}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  let parsed: Reply = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // metrics, export, HTML
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

const RECORDS = [
  { message: 'payment accepted', resourceId: 'payments-1', level: 'info', timestamp: '2026-11-01T10:00:00Z' },
  { message: 'payment refused', resourceId: 'payments-2', level: 'error', timestamp: '2026-11-01T10:00:01Z' },
  { message: 'page served', resourceId: 'web-1', level: 'info', timestamp: '2026-11-01T10:00:02Z' },
  { message: 'page failed', resourceId: 'web-1', level: 'error', timestamp: '2026-11-01T10:00:03Z' },
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sawmill-access-'));
  const accessFile = path.join(dir, 'access.json');
  await writeFile(accessFile, JSON.stringify(ACCESS_FILE));
  s = await startTestServer({ accessFile });
  const r = await call('POST', '/api/v1/logs', bearer(KEYS.shipper), ndjson(RECORDS));
  expect(r.body).toMatchObject({ accepted: 4 });
  await waitFor(async () => (await call('GET', '/api/v1/search', bearer(KEYS.admin))).body.total === 4);
});
afterAll(async () => {
  await s?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('who may call what', () => {
  it('answers 401 with a challenge and what to do when no key is sent', async () => {
    for (const p of ['/api/v1/search', '/api/v1/histogram', '/api/v1/tail', '/api/v1/export', '/metrics']) {
      const r = await call('GET', p);
      expect(r.status, p).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
      expect(r.body.error.message).toMatch(/Authorization: Bearer <key>.*SAWMILL_TOKEN/);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="sawmill"');
    }
    const ingest = await call('POST', '/api/v1/logs', {}, '{"message":"anonymous"}');
    expect(ingest.status).toBe(401);
    const metrics = await call('GET', '/metrics', bearer(KEYS.monitor));
    expect(metrics.body).toMatch(/^sawmill_access_denied_total\{status="401"\} [1-9]\d*$/m);
  });

  it('tells a wrong key from a malformed header', async () => {
    expect((await call('GET', '/api/v1/search', bearer('not-a-valid-key-000'))).body.error.message).toMatch(
      /the key is not valid/,
    );
    expect((await call('GET', '/api/v1/search', { authorization: 'Digest abc' })).body.error.message).toMatch(
      /unsupported Authorization scheme "Digest"/,
    );
  });

  it('leaves the health probes, the API index, the session and the UI open', async () => {
    for (const p of ['/healthz', '/readyz', '/api/v1', '/api/v1/session', '/']) {
      expect((await call('GET', p)).status, p).toBe(200);
    }
    expect((await call('GET', '/api/v1/session')).body).toEqual({ accessControl: true, user: null });
  });

  it.each([
    ['viewer', 'POST', '/api/v1/logs', 403],
    ['viewer', 'POST', '/api/v1/saved-searches', 403],
    ['viewer', 'GET', '/metrics', 403],
    ['viewer', 'GET', '/api/v1/saved-searches', 200],
    ['shipper', 'GET', '/api/v1/search', 403],
    ['shipper', 'GET', '/api/v1/fields', 403],
    ['shipper', 'POST', '/api/v1/logs', 200],
    ['editor', 'POST', '/api/v1/saved-searches', 201],
    ['editor', 'POST', '/api/v1/logs', 403],
    ['monitor', 'GET', '/metrics', 200],
    ['monitor', 'GET', '/api/v1/search', 403],
    ['admin', 'GET', '/metrics', 200],
    ['admin', 'POST', '/api/v1/saved-searches', 201],
  ] as const)('%s: %s %s → %i', async (who, method, pathname, status) => {
    const body =
      method === 'POST'
        ? pathname === '/api/v1/logs'
          ? '{"message":"from a test"}'
          : JSON.stringify({ name: `by ${who}`, query: 'level:error' })
        : undefined;
    const r = await call(method, pathname, bearer(KEYS[who]), body);
    expect(r.status).toBe(status);
    if (status === 403) {
      expect(r.body.error.code).toBe('forbidden');
      expect(r.body.error.message).toMatch(/needs the "(ingest|read|save|metrics)" permission/);
    }
  });

  it('accepts the key as Bearer, as Basic with its name, and as both ApiKey forms', async () => {
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    const forms = [
      `Bearer ${KEYS.viewer}`,
      `Basic ${b64(`bob:${KEYS.viewer}`)}`,
      `ApiKey ${b64(`bob:${KEYS.viewer}`)}`,
      `ApiKey ${KEYS.viewer}`,
    ];
    for (const authorization of forms) {
      expect((await call('GET', '/api/v1/search', { authorization })).status, authorization).toBe(200);
    }
    // Basic with another key's name is refused: the name is part of the credential.
    const wrongName = await call('GET', '/api/v1/search', {
      authorization: `Basic ${b64(`ops:${KEYS.viewer}`)}`,
    });
    expect(wrongName.status).toBe(401);
  });
});

describe('browser sessions', () => {
  it('trades a key for an HttpOnly cookie that then authorizes requests, until signed out', async () => {
    const bad = await call('POST', '/api/v1/session', {}, JSON.stringify({ key: 'not-a-valid-key-000' }));
    expect(bad.status).toBe(401);
    const r = await call('POST', '/api/v1/session', {}, JSON.stringify({ key: KEYS.viewer }));
    expect(r.status).toBe(200);
    expect(r.body.user).toEqual({ name: 'bob', role: 'viewer', permissions: ['read'] });
    const setCookie = r.headers.get('set-cookie')!;
    expect(setCookie).toMatch(
      /^sawmill_session=bob\.\d+\.[\w-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    const cookie = setCookie.split(';')[0]!;

    expect((await call('GET', '/api/v1/session', { cookie })).body.user.name).toBe('bob');
    expect((await call('GET', '/api/v1/search', { cookie })).status).toBe(200);
    expect((await call('POST', '/api/v1/logs', { cookie }, '{"message":"x"}')).status).toBe(403);
    // Sent from another site's page, the cookie does not count.
    expect((await call('GET', '/api/v1/search', { cookie, origin: 'https://evil.example' })).status).toBe(
      401,
    );
    expect((await call('GET', '/api/v1/search', { cookie, origin: s.url })).status).toBe(200);

    const out = await call('DELETE', '/api/v1/session', { cookie });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^sawmill_session=; Max-Age=0;/);
    expect((await call('GET', '/api/v1/search', { cookie: 'sawmill_session=bob.1.abc' })).status).toBe(401);
  });
});

describe("a role's filter narrows every read", () => {
  const pay = bearer(KEYS.payments);

  it('search and its total', async () => {
    const r = await call('GET', '/api/v1/search?q=payment OR page', pay);
    expect(r.body.total).toBe(2);
    expect(r.body.hits.map((h: Reply) => h.resourceId).sort()).toEqual(['payments-1', 'payments-2']);
    const other = await call('GET', '/api/v1/search?q=resourceId:web-1', pay);
    expect(other.body).toMatchObject({ total: 0, hits: [] });
  });

  it('histogram and fields', async () => {
    const h = await call('GET', '/api/v1/histogram?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z', pay);
    expect(h.body.buckets.reduce((n: number, b: Reply) => n + b.total, 0)).toBe(2);
    const f = await call('GET', '/api/v1/fields', pay);
    const resourceIds = f.body.fields.find((x: Reply) => x.field === 'resourceId');
    expect(resourceIds.top.map((t: Reply) => t.value).sort()).toEqual(['payments-1', 'payments-2']);
  });

  it('context: neighbours only from inside the filter, and no record outside it', async () => {
    const all = (await call('GET', '/api/v1/search', bearer(KEYS.admin))).body.hits as Reply[];
    const byMessage = (m: string) => all.find((h) => h.message === m).id;
    const c = await call('GET', `/api/v1/context/${byMessage('payment accepted')}?before=5&after=5`, pay);
    expect(c.status).toBe(200);
    expect(c.body.after.map((r: Reply) => r.message)).toEqual(['payment refused']);
    const outside = await call('GET', `/api/v1/context/${byMessage('page served')}`, pay);
    expect(outside.status).toBe(404);
    const admin = await call(
      'GET',
      `/api/v1/context/${byMessage('payment accepted')}?after=2`,
      bearer(KEYS.admin),
    );
    expect(admin.body.after.map((r: Reply) => r.message)).toEqual(['payment refused', 'page served']);
  });

  it('export', async () => {
    const r = await call('GET', '/api/v1/export?format=ndjson', pay);
    const lines = (r.body as string)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.resourceId).sort()).toEqual(['payments-1', 'payments-2']);
  });

  it('Elasticsearch _search', async () => {
    const r = await call(
      'POST',
      '/es/_search',
      pay,
      JSON.stringify({ query: { match: { message: 'failed' } } }),
    );
    expect(r.status).toBe(200);
    expect(r.body.hits.total.value).toBe(0);
    const refused = await call(
      'POST',
      '/es/_search',
      pay,
      JSON.stringify({ query: { match: { message: 'refused' } } }),
    );
    expect(refused.body.hits.hits.map((h: Reply) => h._source.resourceId)).toEqual(['payments-2']);
  });

  it('live tail', async () => {
    const controller = new AbortController();
    const res = await fetch(`${s.url}/api/v1/tail?q=level:error`, {
      headers: pay,
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    await reader.read(); // ": connected"
    const sent = [
      { level: 'error', message: 'web tail', resourceId: 'web-2' },
      { level: 'error', message: 'payments tail', resourceId: 'payments-3' },
    ];
    expect((await call('POST', '/api/v1/logs', bearer(KEYS.shipper), ndjson(sent))).body.accepted).toBe(2);
    let text = '';
    while (!text.includes('event: record')) text += decoder.decode((await reader.read()).value);
    controller.abort();
    expect(text).toContain('payments tail');
    expect(text).not.toContain('web tail');
  });
});

describe('configuration', () => {
  it('turns the credential-less syslog and GELF sockets off unless their ports are set', async () => {
    const file = path.join(dir, 'access.json');
    expect(loadConfig({ accessFile: file }, {})).toMatchObject({
      syslog: { port: null },
      gelf: { port: null },
    });
    expect(loadConfig({ accessFile: file, syslogPort: '5514' }, {}).syslog).toEqual({
      port: 5514,
      required: true,
    });
    expect(loadConfig({}, { SAWMILL_ACCESS_FILE: file }).access?.policy.byName.size).toBe(
      ACCESS_FILE.keys.length,
    );
    expect(loadConfig({}, {}).access).toBeNull();
  });

  it('refuses to start on a missing or broken access file, naming it', async () => {
    expect(() => loadConfig({ accessFile: path.join(dir, 'missing.json') }, {})).toThrow(
      /cannot read the access file .*missing\.json/,
    );
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{"keys": [');
    expect(() => loadConfig({ accessFile: broken }, {})).toThrow(
      /the access file .*broken\.json is not JSON/,
    );
  });
});
