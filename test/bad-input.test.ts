import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  get,
  ndjson,
  postLogs,
  type Reply,
  search,
  searchWhenCount,
  startTestServer,
  type TestServer,
} from './helpers/server.js';

/**
 * Bad input gets a clear JSON error, the server stays up, and nothing valid is lost.
 * After every case `afterEach`-style checks run: a valid record still goes in and comes out.
 */
let s: TestServer;
let canary = 0;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.close());

async function stillServing(): Promise<void> {
  const tag = `canary-${++canary}`;
  const r = await postLogs(s.url, JSON.stringify({ message: 'still alive', resourceId: tag }));
  expect(r.status).toBe(200);
  await searchWhenCount(s.url, { q: `resourceId:${tag}` }, 1);
}

function expectError(r: { status: number; body: Reply }, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.body.error.code).toBe(code);
  expect(typeof r.body.error.message).toBe('string');
}

describe('malformed bodies', () => {
  it('not JSON → 400 invalid_body with the position', async () => {
    const r = await postLogs(s.url, 'this is not json');
    expectError(r, 400, 'invalid_body');
    await stillServing();
  });

  it('truncated JSON → 400', async () => {
    expectError(await postLogs(s.url, '{"message":"cut'), 400, 'invalid_body');
    await stillServing();
  });

  it('empty body → 400 empty_body', async () => {
    expectError(await postLogs(s.url, ''), 400, 'empty_body');
    expectError(
      await postLogs(s.url, '\n\n  \n', { 'content-type': 'application/x-ndjson' }),
      400,
      'empty_body',
    );
    expectError(await postLogs(s.url, '[]'), 400, 'empty_body');
  });

  it.each([
    ['a string', '"hello"'],
    ['a number', '42'],
    ['null', 'null'],
  ])('%s instead of a record → 400 naming index and reason', async (_name, body) => {
    const r = await postLogs(s.url, body);
    expectError(r, 400, 'no_valid_records');
    expect(r.body.error.details[0]).toMatchObject({ index: 0, code: 'not_an_object' });
  });
});

describe('invalid records', () => {
  it.each([
    ['no message', { level: 'info' }, 'missing_message'],
    ['a non-string message', { message: { text: 'x' } }, 'invalid_message'],
    ['an unparseable timestamp', { message: 'x', timestamp: 'last tuesday' }, 'invalid_timestamp'],
    ['a far-future timestamp', { message: 'x', timestamp: '2999-01-01T00:00:00Z' }, 'timestamp_out_of_range'],
    ['a far-past timestamp', { message: 'x', timestamp: '1900-01-01T00:00:00Z' }, 'timestamp_out_of_range'],
    ['a negative epoch', { message: 'x', timestamp: -5 }, 'timestamp_out_of_range'],
    ['an object as resourceId', { message: 'x', resourceId: { a: 1 } }, 'invalid_field'],
  ])('%s is refused with %s', async (_name, record, code) => {
    const r = await postLogs(s.url, JSON.stringify(record));
    expectError(r, 400, 'no_valid_records');
    expect(r.body.error.details[0]).toMatchObject({ index: 0, code });
  });

  it('an unknown level is kept: stored as info with originalLevel', async () => {
    await postLogs(s.url, JSON.stringify({ message: 'odd level', level: 'shouting', resourceId: 'lvl-1' }));
    const r = await searchWhenCount(s.url, { q: 'resourceId:lvl-1' }, 1);
    expect(r.body.hits[0]).toMatchObject({ level: 'info', originalLevel: 'shouting' });
  });

  it('20,000-deep nesting is refused without harm', async () => {
    const deep = `{"message":"deep","a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const r = await postLogs(s.url, deep);
    expectError(r, 400, 'no_valid_records');
    expect(r.body.error.details[0].code).toBe('too_deep');
    await stillServing();
  });

  it('100,000 fields in one record are refused', async () => {
    const rec: Record<string, unknown> = { message: 'wide' };
    for (let i = 0; i < 100_000; i++) rec[`f${i}`] = i;
    const r = await postLogs(s.url, JSON.stringify(rec));
    expect(r.body.error.details[0].code).toBe('too_many_fields');
    await stillServing();
  });

  it('a 1 MB field is refused by index while its batch-mates are stored', async () => {
    const r = await postLogs(
      s.url,
      ndjson([{ message: 'x'.repeat(1_000_000) }, { message: 'small', resourceId: 'big-1' }]),
      {
        'content-type': 'application/x-ndjson',
      },
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      accepted: 1,
      rejected: 1,
      errors: [{ index: 0, line: 1, code: 'record_too_large' }],
    });
    await searchWhenCount(s.url, { q: 'resourceId:big-1' }, 1);
  });
});

describe('limits on the body', () => {
  it('a 60 MB body → 413 body_too_large', async () => {
    const r = await postLogs(s.url, Buffer.alloc(60 * 1024 * 1024, 0x61));
    expectError(r, 413, 'body_too_large');
    await stillServing();
  });

  it('a gzip bomb → 413, not an out-of-memory', async () => {
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024, 0x20)); // ~200 KB compressed
    const r = await postLogs(s.url, bomb, { 'content-encoding': 'gzip' });
    expectError(r, 413, 'body_too_large');
    await stillServing();
  });

  it('an unknown Content-Encoding → 415', async () => {
    expectError(await postLogs(s.url, 'x', { 'content-encoding': 'zstd-ish' }), 415, 'unsupported_encoding');
  });

  it('corrupt gzip → 400', async () => {
    expectError(
      await postLogs(s.url, Buffer.from([0x1f, 0x8b, 1, 2, 3]), { 'content-encoding': 'gzip' }),
      400,
      'invalid_body',
    );
  });
});

describe('text that is not clean', () => {
  it('NUL characters are stored as U+FFFD', async () => {
    await postLogs(s.url, JSON.stringify({ message: 'nul\u0000here', resourceId: 'nul-1' }));
    const r = await searchWhenCount(s.url, { q: 'resourceId:nul-1' }, 1);
    expect(r.body.hits[0].message).toBe('nul\uFFFDhere');
  });

  it('invalid UTF-8 bytes are stored as U+FFFD', async () => {
    const body = Buffer.concat([
      Buffer.from('{"message":"bad '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' bytes","resourceId":"utf-1"}'),
    ]);
    expect((await postLogs(s.url, body)).status).toBe(200);
    const r = await searchWhenCount(s.url, { q: 'resourceId:utf-1' }, 1);
    expect(r.body.hits[0].message).toBe('bad \uFFFD\uFFFD bytes');
  });

  it('a lone surrogate is made well-formed', async () => {
    await postLogs(s.url, '{"message":"half \\ud800 pair","resourceId":"sur-1"}');
    const r = await searchWhenCount(s.url, { q: 'resourceId:sur-1' }, 1);
    expect(r.body.hits[0].message).toBe('half \uFFFD pair');
  });
});

describe('mixed batches', () => {
  it('stores the valid records and reports each invalid one by index and line', async () => {
    const body = [
      JSON.stringify({ message: 'ok 1', resourceId: 'mix-1' }),
      '{"message": broken',
      JSON.stringify({ level: 'error' }),
      '',
      JSON.stringify({ message: 'ok 2', resourceId: 'mix-1' }),
      '42',
    ].join('\n');
    const r = await postLogs(s.url, body, { 'content-type': 'application/x-ndjson' });
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(2);
    expect(r.body.rejected).toBe(3);
    expect(
      r.body.errors.map((e: { index: number; line: number; code: string }) => [e.index, e.line, e.code]),
    ).toEqual([
      [1, 2, 'invalid_json'],
      [2, 3, 'missing_message'],
      [4, 6, 'not_an_object'],
    ]);
    await searchWhenCount(s.url, { q: 'resourceId:mix-1' }, 2);
  });
});

describe('hostile queries', () => {
  it('a syntax error names the position', async () => {
    const r = await search(s.url, { q: 'level:error AND (' });
    expectError(r, 400, 'query_syntax');
    expect(r.body.error.details.position).toBe(17);
  });

  it('a catastrophic regex answers quickly (RE2 is linear)', async () => {
    await postLogs(s.url, JSON.stringify({ message: `${'a'.repeat(50_000)}!`, resourceId: 'redos' }));
    await searchWhenCount(s.url, { q: 'resourceId:redos' }, 1);
    const started = Date.now();
    const r = await search(s.url, { q: 'message:/(a+)+$/' });
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    // backreferences, which need backtracking, are refused up front
    expectError(await search(s.url, { q: 'message:/(a)\\1/' }), 400, 'query_syntax');
  }, 10_000);

  it.each([
    `resourceId:"x' OR 1=1 --"`,
    `"'); DROP TABLE logs_template; --"`,
    `metadata.x\\'y:1`,
    `a\\'\\)\\;DROP\\ TABLE\\ sawmill_loaded\\;--:1`,
  ])('injection attempt %s matches nothing and changes nothing', async (q) => {
    const before = (await search(s.url, { q: '' })).body.total;
    const r = await search(s.url, { q });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(0);
    expect((await search(s.url, { q: '' })).body.total).toBe(before);
    await stillServing();
  });

  it('an unknown route is a JSON 404', async () => {
    const r = await get(s.url, '/api/v1/nope');
    expectError(r, 404, 'not_found');
  });
});
