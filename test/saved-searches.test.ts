import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonFileSavedSearchStore } from '../src/saved-searches/file-store.js';
import { get, type Reply, startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.close();
});

async function send(method: string, pathname: string, body?: string) {
  const res = await fetch(`${s.url}${pathname}`, {
    method,
    body,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Reply };
}
const create = (search: unknown) => send('POST', '/api/v1/saved-searches', JSON.stringify(search));

describe('saved searches API', () => {
  it('creates, lists newest first, reads and deletes', async () => {
    const a = await create({ name: ' Errors ', query: 'level:error', from: 'now-24h' });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ name: 'Errors', query: 'level:error', from: 'now-24h' });
    expect(a.body.id).toMatch(/^[\w-]{16}$/);
    expect(a.headers.get('location')).toBe(`/api/v1/saved-searches/${a.body.id}`);
    expect(Number.isNaN(Date.parse(a.body.createdAt))).toBe(false);

    const b = await create({
      name: 'Window',
      query: '',
      from: '2023-09-10T00:00:00Z',
      to: '2023-09-15T23:59:59Z',
      filters: { resourceId: 'server-1234', level: '' },
      extra: 'dropped',
    });
    expect(b.status).toBe(201);
    expect(b.body.filters).toEqual({ resourceId: 'server-1234' }); // empty inputs are not stored
    expect(b.body.extra).toBeUndefined();

    const list = await get(s.url, '/api/v1/saved-searches');
    expect(list.status).toBe(200);
    expect(list.body.searches.map((x: Reply) => x.name)).toEqual(['Window', 'Errors']);

    const one = await get(s.url, `/api/v1/saved-searches/${a.body.id}`);
    expect(one.body).toEqual(a.body);

    expect((await send('DELETE', `/api/v1/saved-searches/${a.body.id}`)).status).toBe(204);
    const gone = await get(s.url, `/api/v1/saved-searches/${a.body.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('not_found');
    expect((await send('DELETE', `/api/v1/saved-searches/${a.body.id}`)).status).toBe(404);
  });

  it('refuses bad input with the error catalogue', async () => {
    const cases: Array<[string | undefined, string, number]> = [
      [undefined, 'empty_body', 400],
      ['{"name":', 'invalid_body', 400],
      ['[]', 'invalid_body', 400],
      [JSON.stringify({ query: 'x' }), 'invalid_body', 400],
      [JSON.stringify({ name: '   ', query: 'x' }), 'invalid_body', 400],
      [JSON.stringify({ name: 'x'.repeat(201), query: 'x' }), 'invalid_body', 400],
      [JSON.stringify({ name: 'n', query: 42 }), 'invalid_body', 400],
      [JSON.stringify({ name: 'n', query: 'x', from: 'yesterday-ish' }), 'invalid_body', 400],
      [JSON.stringify({ name: 'n', query: 'x', filters: ['level'] }), 'invalid_body', 400],
      [JSON.stringify({ name: 'n', query: 'x', filters: { level: 3 } }), 'invalid_body', 400],
      [JSON.stringify({ name: 'n', query: 'x'.repeat(70_000) }), 'body_too_large', 413],
    ];
    for (const [body, code, status] of cases) {
      const r = await send('POST', '/api/v1/saved-searches', body);
      expect({ body: body?.slice(0, 40), status: r.status, code: r.body.error.code }).toEqual({
        body: body?.slice(0, 40),
        status,
        code,
      });
    }
    const syntax = await create({ name: 'n', query: 'level:' });
    expect(syntax.status).toBe(400);
    expect(syntax.body.error).toMatchObject({ code: 'query_syntax', details: { position: 6 } });
  });

  it('keeps searches across a restart in the data directory', async () => {
    const created = await create({ name: 'Durable', query: '"Failed to connect"' });
    const file = path.join(s.dataDir, 'saved-searches.json');
    const onDisk = JSON.parse(await readFile(file, 'utf8'));
    expect(onDisk.searches.map((x: Reply) => x.id)).toContain(created.body.id);

    const reopened = new JsonFileSavedSearchStore(file);
    await reopened.open();
    expect(await reopened.get(created.body.id)).toEqual(created.body);
  });
});

describe('JsonFileSavedSearchStore', () => {
  it('serialises concurrent writes so none is lost', async () => {
    const dir = path.join(s.dataDir, 'concurrent');
    const store = new JsonFileSavedSearchStore(path.join(dir, 'saved.json'));
    await store.open();
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.create({ name: `s${i}`, query: '' })),
    );
    await Promise.all(made.slice(0, 5).map((m) => store.delete(m.id)));
    const again = new JsonFileSavedSearchStore(path.join(dir, 'saved.json'));
    await again.open();
    expect((await again.list()).map((x) => x.name).sort()).toEqual(
      made
        .slice(5)
        .map((m) => m.name)
        .sort(),
    );
  });

  it('refuses a file it does not understand instead of overwriting it', async () => {
    const file = path.join(s.dataDir, 'package.json');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, '{"name":"not ours"}'));
    await expect(new JsonFileSavedSearchStore(file).open()).rejects.toThrow(/not a saved-search file/);
  });
});

describe('API index and UI routing', () => {
  it('moves the JSON index to /api/v1 and keeps JSON 404s for unknown API paths', async () => {
    const index = await get(s.url, '/api/v1');
    expect(index.status).toBe(200);
    expect(index.body.read).toContain('/api/v1/saved-searches');
    const missing = await get(s.url, '/api/v1/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    const res = await fetch(`${s.url}/no-such-file.js`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as Reply).error.code).toBe('not_found');
  });
});
