import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_RECORD } from './fixtures/reference-record.js';
import {
  get,
  ndjson,
  postLogs,
  search,
  searchWhenCount,
  startTestServer,
  type TestServer,
} from './helpers/server.js';

/** The assignment's reference record plus neighbours that must NOT match each sample query. */
const FIXTURE = [
  { key: 'ref', ...REFERENCE_RECORD },
  {
    key: 'warn-1234',
    level: 'warn',
    message: 'Disk almost full',
    resourceId: 'server-1234',
    timestamp: '2023-09-12T10:00:00Z',
    metadata: { parentResourceId: 'server-0001' },
  },
  {
    key: 'err-other',
    level: 'error',
    message: 'Out of memory',
    resourceId: 'server-9',
    timestamp: '2023-09-11T00:00:00Z',
  },
  {
    key: 'fail-late',
    level: 'info',
    message: 'failed to connect, retrying',
    resourceId: 'server-5',
    timestamp: '2023-09-20T00:00:00Z',
  },
  {
    key: 'before',
    level: 'info',
    message: 'boot',
    resourceId: 'server-1',
    timestamp: '2023-09-09T23:59:59Z',
  },
  {
    key: 'edge-end',
    level: 'debug',
    message: 'tick',
    resourceId: 'server-2',
    timestamp: '2023-09-15T23:59:59Z',
  },
  { key: 'after', level: 'info', message: 'tick', resourceId: 'server-2', timestamp: '2023-09-16T00:00:00Z' },
];

let s: TestServer;
const keys = (hits: Array<{ key: string }>) => hits.map((h) => h.key).sort();

beforeAll(async () => {
  s = await startTestServer();
  const r = await postLogs(s.url, ndjson(FIXTURE), { 'content-type': 'application/x-ndjson' });
  expect(r.body.accepted).toBe(FIXTURE.length);
  await searchWhenCount(s.url, { q: '' }, FIXTURE.length);
});
afterAll(() => s.close());

describe('the four sample queries of the assignment', () => {
  it.each([
    ['level:error', ['err-other', 'ref']],
    ['"Failed to connect"', ['fail-late', 'ref']],
    ['resourceId:server-1234', ['ref', 'warn-1234']],
    [
      'timestamp:[2023-09-10T00:00:00Z TO 2023-09-15T23:59:59Z]',
      ['edge-end', 'err-other', 'ref', 'warn-1234'],
    ],
  ])('%s', async (q, expected) => {
    const r = await search(s.url, { q });
    expect(r.status).toBe(200);
    expect(keys(r.body.hits)).toEqual(expected);
    expect(r.body.total).toBe(expected.length);
  });

  it('the date range also works as from/to', async () => {
    const r = await search(s.url, { from: '2023-09-10T00:00:00Z', to: '2023-09-15T23:59:59Z' });
    expect(keys(r.body.hits)).toEqual(['edge-end', 'err-other', 'ref', 'warn-1234']);
  });

  it('finds the reference record by nested field and returns it as sent', async () => {
    const r = await search(s.url, { q: 'metadata.parentResourceId:server-0987' });
    expect(r.body.hits).toHaveLength(1);
    const { id, ...rest } = r.body.hits[0];
    expect(id).toMatch(/^\d+$/);
    expect(rest).toEqual({ ...FIXTURE[0], timestamp: '2023-09-15T08:00:00.000Z' });
  });
});

describe('search', () => {
  it('returns newest first with an exact total and walks every page once by cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await search(s.url, { limit: '2', ...(cursor ? { cursor } : {}) });
      expect(r.body.total).toBe(FIXTURE.length);
      seen.push(...r.body.hits.map((h: { timestamp: string }) => h.timestamp));
      cursor = r.body.next;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(FIXTURE.length);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it('accepts relative times', async () => {
    await postLogs(s.url, JSON.stringify({ message: 'just now', key: 'now' }));
    const r = await searchWhenCount(s.url, { from: 'now-15m', to: 'now+1m' }, 1);
    expect(keys(r.body.hits)).toEqual(['now']);
  });

  it('rejects bad parameters with a clear error', async () => {
    expect((await search(s.url, { limit: '0' })).body.error.code).toBe('invalid_parameter');
    expect((await search(s.url, { from: 'yesterday' })).body.error.code).toBe('invalid_parameter');
    expect((await search(s.url, { cursor: 'garbage' })).body.error.code).toBe('invalid_parameter');
    const syntax = await search(s.url, { q: 'level:' });
    expect(syntax.status).toBe(400);
    expect(syntax.body.error).toMatchObject({ code: 'query_syntax', details: { position: 6 } });
  });
});

describe('histogram, fields, context', () => {
  it('counts per bucket split by level', async () => {
    const r = await get(s.url, '/api/v1/histogram', {
      from: '2023-09-09T00:00:00Z',
      to: '2023-09-21T00:00:00Z',
      interval: '1d',
    });
    expect(r.status).toBe(200);
    expect(r.body.intervalMs).toBe(86_400_000);
    const day15 = r.body.buckets.find((b: { ts: string }) => b.ts === '2023-09-15T00:00:00.000Z');
    expect(day15).toEqual({ ts: '2023-09-15T00:00:00.000Z', total: 2, counts: { error: 1, debug: 1 } });
    const sum = r.body.buckets.reduce((n: number, b: { total: number }) => n + b.total, 0);
    expect(sum).toBe(FIXTURE.length);
  });

  it('chooses an interval automatically', async () => {
    const r = await get(s.url, '/api/v1/histogram', {
      q: 'level:error',
      from: '2023-09-10T00:00:00Z',
      to: '2023-09-16T00:00:00Z',
    });
    expect(r.body.intervalMs).toBe(10_800_000); // 6 days in at most 120 buckets
    expect(r.body.buckets.map((b: { total: number }) => b.total)).toEqual([1, 1]);
  });

  it('lists fields with top values', async () => {
    const r = await get(s.url, '/api/v1/fields', { q: 'resourceId:server-1234' });
    const field = r.body.fields.find((f: { field: string }) => f.field === 'metadata.parentResourceId');
    expect(field.count).toBe(2);
    expect(field.top.map((t: { value: string }) => t.value).sort()).toEqual(['server-0001', 'server-0987']);
  });

  it('shows records around one record in time order', async () => {
    const ref = (await search(s.url, { q: 'traceId:abc-xyz-123' })).body.hits[0];
    const r = await get(s.url, `/api/v1/context/${ref.id}`, { before: '2', after: '1' });
    expect(r.body.anchor.key).toBe('ref');
    expect(r.body.before.map((h: { key: string }) => h.key)).toEqual(['err-other', 'warn-1234']);
    expect(r.body.after.map((h: { key: string }) => h.key)).toEqual(['edge-end']);
    expect((await get(s.url, '/api/v1/context/12345')).status).toBe(404);
  });
});

describe('live tail', () => {
  it('streams only new matching records, within a second of acknowledgement', async () => {
    const controller = new AbortController();
    const res = await fetch(`${s.url}/api/v1/tail?q=level:error`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    await reader.read(); // ": connected"
    const acked = await postLogs(
      s.url,
      ndjson([
        { level: 'info', message: 'quiet' },
        { level: 'error', message: 'tail me' },
      ]),
    );
    const ackedAt = Date.now();
    expect(acked.body.accepted).toBe(2);
    let text = '';
    while (!text.includes('\n\n') || !text.includes('event: record'))
      text += decoder.decode((await reader.read()).value);
    expect(Date.now() - ackedAt).toBeLessThan(1000);
    const event = /id: (\d+)\nevent: record\ndata: (.*)\n/.exec(text)!;
    expect(JSON.parse(event[2]!).message).toBe('tail me');
    expect(text).not.toContain('quiet');
    controller.abort();

    // Resuming with Last-Event-ID replays what came after that id.
    await postLogs(s.url, JSON.stringify({ level: 'error', message: 'while away' }));
    await searchWhenCount(s.url, { q: '"while away"' }, 1);
    const resumed = new AbortController();
    const res2 = await fetch(`${s.url}/api/v1/tail?q=level:error`, {
      signal: resumed.signal,
      headers: { 'last-event-id': event[1]! },
    });
    const r2 = res2.body!.getReader();
    let text2 = '';
    while (!text2.includes('while away')) text2 += decoder.decode((await r2.read()).value);
    resumed.abort();
  });

  it('refuses a bad query before opening the stream', async () => {
    const r = await get(s.url, '/api/v1/tail', { q: '(' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('query_syntax');
  });
});

describe('export', () => {
  it('streams NDJSON newest first', async () => {
    const r = await get(s.url, '/api/v1/export', { q: 'resourceId:server-1234', format: 'ndjson' });
    expect(r.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (r.body as string)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.key)).toEqual(['ref', 'warn-1234']);
  });

  it('writes CSV with quoting and a formula guard', async () => {
    await postLogs(
      s.url,
      JSON.stringify({ message: '=HYPERLINK("x"), "quoted", comma', resourceId: 'csv-1' }),
    );
    await searchWhenCount(s.url, { q: 'resourceId:csv-1' }, 1);
    const r = await get(s.url, '/api/v1/export', { q: 'resourceId:csv-1', format: 'csv' });
    const [header, row] = (r.body as string).split('\r\n');
    expect(header).toBe('timestamp,level,resourceId,traceId,spanId,commit,message,id,fields');
    expect(row).toContain(`"'=HYPERLINK(""x""), ""quoted"", comma"`);
    expect((await get(s.url, '/api/v1/export', { format: 'xml' })).status).toBe(400);
  });
});

describe('query validation', () => {
  it('answers 200 with the verdict: valid, or the problem and its position', async () => {
    const ok = await get(s.url, '/api/v1/validate', { q: 'level:error AND "Failed to connect"' });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ valid: true });
    const bad = await get(s.url, '/api/v1/validate', { q: 'resourceId:' });
    expect(bad.status).toBe(200);
    const body = bad.body as {
      valid: boolean;
      error: { code: string; message: string; details: { position: number } };
    };
    expect(body.valid).toBe(false);
    expect(body.error.code).toBe('query_syntax');
    expect(body.error.details.position).toBeGreaterThanOrEqual(0);
    // The same query as a search is still a 400.
    expect((await get(s.url, '/api/v1/search', { q: 'resourceId:' })).status).toBe(400);
  });
});

describe('operations', () => {
  it('answers health, readiness and metrics', async () => {
    expect((await get(s.url, '/healthz')).body).toEqual({ status: 'ok', roles: ['embedded'] });
    expect((await get(s.url, '/readyz')).status).toBe(200);
    const metrics = (await get(s.url, '/metrics')).body as string;
    expect(metrics).toMatch(/sawmill_ingest_records_total\{result="accepted",protocol="json"\} \d+/);
    expect(metrics).toContain('sawmill_query_duration_seconds_bucket');
    expect(metrics).toContain('sawmill_buffer_depth_bytes');
    // The process's memory, and the store engine's share of it, split by what holds it.
    expect(metrics).toMatch(/sawmill_process_resident_memory_bytes [1-9]\d*/);
    const engine = [...metrics.matchAll(/sawmill_store_memory_bytes\{tag="([A-Z_]+)"\} (\d+)/g)];
    expect(engine.length).toBeGreaterThan(3);
    expect(engine.some(([, , bytes]) => Number(bytes) > 0)).toBe(true);
    // Closed days (the 2023 fixtures) wait to have their message patterns counted: a day is
    // counted once it has been quiet for 30 s (test/message-patterns.test.ts covers the counting).
    const days = (state: string) =>
      Number(new RegExp(`sawmill_message_pattern_days\\{state="${state}"\\} (\\d+)`).exec(metrics)?.[1]);
    expect(days('waiting') + days('counted')).toBeGreaterThan(0);
    expect(metrics).toMatch(/sawmill_message_pattern_counting_seconds_total \d/);
  });

  it('counts lookups in the cache of per-day answers: a repeated histogram is a hit', async () => {
    const lookups = async (result: string) => {
      const metrics = (await get(s.url, '/metrics')).body as string;
      const m = new RegExp(`sawmill_day_results_lookups_total\\{result="${result}"\\} (\\d+)`).exec(metrics);
      return Number(m?.[1]);
    };
    const [hits, misses] = [await lookups('hit'), await lookups('miss')];
    expect((await get(s.url, '/api/v1/histogram', { q: 'error OR warn' })).status).toBe(200);
    expect(await lookups('miss')).toBeGreaterThan(misses);
    expect(await lookups('hit')).toBe(hits);
    expect((await get(s.url, '/api/v1/histogram', { q: 'error OR warn' })).status).toBe(200);
    expect(await lookups('hit')).toBeGreaterThan(hits);
    expect((await get(s.url, '/metrics')).body).toMatch(/sawmill_day_results_entries [1-9]\d*/);
  });
});

describe('retention', () => {
  it('refuses records older than the retention window and keeps recent ones', async () => {
    const r = await startTestServer({ retention: '1d' });
    try {
      const old = new Date(Date.now() - 2 * 86_400_000).toISOString();
      const reply = await postLogs(r.url, ndjson([{ message: 'old', timestamp: old }, { message: 'new' }]));
      expect(reply.body.accepted).toBe(1);
      expect(reply.body.errors[0]).toMatchObject({ index: 0, code: 'timestamp_out_of_range' });
      await searchWhenCount(r.url, { q: '' }, 1);
    } finally {
      await r.close();
    }
  });

  it('removes stored records once they age out', async () => {
    const { DuckDbStore } = await import('../src/store/duckdb/duckdb-store.js');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/sawmill-retention-');
    const store = new DuckDbStore({ dir, queryTimeoutMs: 10_000 });
    await store.open();
    const day = 86_400_000_000;
    const lines = [0, 1, 2, 3].map((d) =>
      JSON.stringify({
        id: String(100 + d),
        ts: 1_700_000_000_000_000 + d * day,
        level: 'info',
        message: `d${d}`,
        attrs: {},
      }),
    );
    await store.load({ parts: [{ key: 'k1', lines }] });
    expect((await store.stats()).partitions).toBe(4);
    const removed = await store.applyRetention(1_700_000_000_000_000 + 2 * day + 1);
    expect(removed).toBe(3); // d0, d1 (whole days dropped) and d2 (deleted from its day)
    expect((await store.stats()).partitions).toBe(2);
    const { hits } = await store.search({ query: { kind: 'all' }, limit: 10 });
    expect(hits.map((h) => h.message)).toEqual(['d3']);
    // the same load key again is a no-op: exactly once
    expect((await store.load({ parts: [{ key: 'k1', lines }] })).inserted).toBe(0);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
});
