import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, searchWhenCount, startTestServer, type TestServer } from '../helpers/server.js';
import { loadSample, replay, replayAll } from './replay.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});

async function esPost(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${srv.url}/es${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-ndjson', ...headers },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as Reply };
}

/** The stored record(s) for a query, once `n` are searchable. */
async function stored(q: string, n = 1): Promise<Reply[]> {
  return (await searchWhenCount(srv.url, { q }, n)).body.hits;
}

describe('Elasticsearch wire samples, replayed', () => {
  it('elasticsearch-js v9: info, bulk (index + create), helper bulk, search', async () => {
    const replies = await replayAll(srv.url, 'es-js-client-v9', '/es');
    for (const r of replies) expect(r.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(JSON.parse(replies[0]!.text).version.number).toMatch(/^8\./);
    expect(replies[1]!.text).toMatch(/^\{"took":\d+,"errors":false,"items":\[/);
    const items = JSON.parse(replies[1]!.text).items;
    expect(items).toHaveLength(2);
    expect(items[0].index).toMatchObject({ _index: 'logs', status: 201, result: 'created' });
    expect(items[1].create).toMatchObject({ _index: 'logs', _id: 'fixed-1', status: 201 });

    const [ref] = await stored('_index:logs AND "Failed to connect to DB" AND resourceId:server-1234');
    expect(ref).toMatchObject({
      level: 'error',
      message: 'Failed to connect to DB',
      resourceId: 'server-1234',
      timestamp: '2023-09-15T08:00:00.000Z',
      traceId: 'abc-xyz-123',
      spanId: 'span-456',
      commit: '5e5342f',
      metadata: { parentResourceId: 'server-0987' },
      _index: 'logs',
    });
    const [hello] = await stored('_index:logs AND _id:fixed-1');
    expect(hello).toMatchObject({ level: 'info', message: 'hello' });
    const [helper] = await stored('_index:logs-helper');
    expect(helper).toMatchObject({ level: 'warn', message: 'helper doc' });

    // The captured search (match on message) answered after the records are searchable.
    const search = loadSample('es-js-client-v9').find((r) => r.url.endsWith('/_search'))!;
    const res = JSON.parse((await replay(srv.url, search, '/es')).text);
    expect(res.hits.total).toEqual({ value: 1, relation: 'eq' });
    expect(res.hits.hits[0]._index).toBe('logs');
    expect(res.hits.hits[0]._source.message).toBe('Failed to connect to DB');
  });

  it('elasticsearch-js v9 gzip body, ping and the info probe', async () => {
    const [bulk] = await replayAll(srv.url, 'es-js-client-v9-gzip', '/es');
    expect(JSON.parse(bulk!.text).errors).toBe(false);
    expect((await stored('"gzip body"'))[0]).toMatchObject({ level: 'error', _index: 'logs' });
    const [ping] = await replayAll(srv.url, 'es-js-client-v9-ping', '/es');
    expect(ping!.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const [info] = await replayAll(srv.url, 'es-js-client-v9-noproduct', '/es');
    expect(info!.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect(JSON.parse(info!.text).tagline).toBe('You Know, for Search');
  });

  it('opensearch-js', async () => {
    const replies = await replayAll(srv.url, 'opensearch-js-client', '/es');
    expect(JSON.parse(replies[1]!.text).items.map((i: Reply) => Object.keys(i)[0])).toEqual([
      'index',
      'create',
    ]);
    const hits = await stored('_index:logs AND (_id:1 OR "helper doc" OR (hello AND NOT _id:*))', 2);
    expect(hits.map((h) => h.message).sort()).toEqual(['hello', 'helper doc']);
  });

  it('pino-elasticsearch: numeric pino levels, time, msg; _refresh', async () => {
    const replies = await replayAll(srv.url, 'pino-elasticsearch', '/es');
    expect(JSON.parse(replies[2]!.text)._shards.successful).toBe(1);
    const [err] = await stored('"Failed to connect to DB" AND hostname:vm AND pid:10658');
    expect(err).toMatchObject({
      level: 'error',
      originalLevel: 50,
      timestamp: '2026-11-22T09:07:14.700Z',
      resourceId: 'server-1234',
      traceId: 'abc-xyz-123',
      spanId: 'span-456',
      commit: '5e5342f',
      metadata: { parentResourceId: 'server-0987' },
      _index: 'logs',
    });
    const [info] = await stored('"hello from pino" AND pid:10658');
    expect(info).toMatchObject({ level: 'info', originalLevel: 30, timestamp: '2026-11-22T09:07:14.701Z' });
    await replayAll(srv.url, 'pino-elasticsearch-noproduct', '/es');
    expect(await stored('pid:10758', 2)).toHaveLength(2);
  });

  it('python-elasticsearch 7.17', async () => {
    await replayAll(srv.url, 'python-elasticsearch-7.17', '/es');
    const [x1] = await stored('_id:x1');
    expect(x1).toMatchObject({ message: 'hi', level: 'info', _index: 'logs' });
  });

  it('rsyslog omelasticsearch: _type ignored, blank lines, µs timestamps with offsets, escapes', async () => {
    const [bulk] = await replayAll(srv.url, 'rsyslog-omelasticsearch', '/es');
    expect(JSON.parse(bulk!.text)).toMatchObject({ errors: false });
    const [first] = await stored('program:myapp AND "resourceId=server-1234"');
    expect(first).toMatchObject({ timestamp: '2026-11-22T09:03:58.443666Z', host: 'vm', level: 'info' });
    const [second] = await stored('program:myapp AND "second line"');
    expect(second.message).toBe('second line "quoted" \\\\ backslash');
  });

  it('rsyslog omelasticsearch ES 8 create mode: _cat/health, create with ids, level names', async () => {
    const replies = await replayAll(srv.url, 'rsyslog-omelasticsearch-es8-create', '/es');
    expect(replies[0]!.text).toMatch(/ sawmill green /);
    const hits = await stored('_index:"logs-2026.11.22"', 2);
    expect(hits.map((h) => [h.message, h.level, h.originalLevel, h._id]).sort()).toEqual([
      ['line one while server down', 'warn', 'warning', 'B010E7B5A5C04D0B85686D7D0BCBB6E0'],
      ['line two server up', 'warn', 'warning', 'A3DF10AB451941E09BF801FD691DF507'],
    ]);
  });

  it('syslog-ng elasticsearch-http()', async () => {
    await replayAll(srv.url, 'syslog-ng-elasticsearch-http', '/es');
    const hits = await stored('HOST:vm AND FACILITY:user', 2);
    expect(hits.map((h) => h.message).sort()).toEqual(['Failed to connect to DB', 'plain "quoted" line']);
    expect(hits[0]).toMatchObject({
      level: 'info',
      originalLevel: 'notice',
      timestamp: '2026-11-22T09:06:04.000Z',
    });
  });

  it('syslog-ng http() posts plain JSON to the url configured (/logs in the capture): /api/v1/logs', async () => {
    await replayAll(srv.url, 'syslog-ng-http', '', '/api/v1/logs');
    const [single] = await stored('"single text line"');
    expect(single).toMatchObject({ resourceId: 'vm', level: 'info', originalLevel: 'notice' });
    const batched = await stored('batched AND resourceId:server-1', 2);
    expect(batched.map((h) => h.timestamp)).toEqual(['2023-09-15T08:00:02.000Z', '2023-09-15T08:00:01.000Z']);
  });
});

describe('Elasticsearch bulk semantics', () => {
  it('maps ECS fields and Fluent Bit `log`, keeps the index from the path', async () => {
    const body = [
      '{"index":{}}',
      JSON.stringify({
        '@timestamp': '2024-01-02T03:04:05.123Z',
        message: 'ecs line',
        log: { level: 'WARN', logger: 'app' },
        trace: { id: 'trace-ecs' },
        'span.id': 'span-ecs',
        service: { name: 'billing' },
      }),
      '{"create":{"_type":"_doc","op_type":"create","pipeline":"x","routing":"r"}}',
      '{"log":"container line\\n","stream":"stdout"}',
      '',
    ].join('\n');
    const r = await esPost('/fluent/_bulk', body, { 'content-type': 'application/json' });
    expect(r.body.errors).toBe(false);
    expect(r.body.items.map((i: Reply) => (Object.values(i)[0] as Reply)._index)).toEqual([
      'fluent',
      'fluent',
    ]);
    const [ecs] = await stored('"ecs line"');
    expect(ecs).toMatchObject({
      timestamp: '2024-01-02T03:04:05.123Z',
      level: 'warn',
      traceId: 'trace-ecs',
      spanId: 'span-ecs',
      resourceId: 'billing',
      log: { level: 'WARN', logger: 'app' },
      _index: 'fluent',
    });
    const [container] = await stored('"container line"');
    expect(container).toMatchObject({ message: 'container line\n', stream: 'stdout', _index: 'fluent' });
  });

  it('reports bad documents, update and delete per item and stores the rest, in order', async () => {
    const body = [
      '{"index":{"_index":"mixed"}}',
      '{"message":"mixed ok 1"}',
      '{"index":{"_index":"mixed"}}',
      '{not json',
      '{"delete":{"_index":"mixed","_id":"7"}}',
      '{"update":{"_index":"mixed","_id":"8"}}',
      '{"doc":{"message":"x"}}',
      '{"create":{"_index":"mixed","_id":"c1"}}',
      '{"no_message":true}',
      '{"index":{"_index":"mixed"}}',
      '{"message":"mixed ok 2","timestamp":"not a time"}',
      '{"index":{"_index":"mixed"}}',
      '{"message":"mixed ok 3"}',
      '{"index":{"_index":"mixed"}}',
    ].join('\n');
    const r = await esPost('/_bulk', body);
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^\{"took":\d+,"errors":true,"items":\[/);
    const items = r.body.items.map((i: Reply) => {
      const [action, v] = Object.entries(i)[0] as [string, Reply];
      return [action, v.status, v.error?.type ?? null];
    });
    expect(items).toEqual([
      ['index', 201, null],
      ['index', 400, 'document_parsing_exception'],
      ['delete', 400, 'illegal_argument_exception'],
      ['update', 400, 'illegal_argument_exception'],
      ['create', 400, 'document_parsing_exception'],
      ['index', 400, 'document_parsing_exception'],
      ['index', 201, null],
      ['index', 400, 'action_request_validation_exception'],
    ]);
    expect(r.body.items[4].create.error.reason).toMatch(/missing_message/);
    expect(r.body.items[4].create._id).toBe('c1');
    expect(r.body.items[5].index.error.reason).toMatch(/invalid_timestamp/);
    const hits = await stored('_index:mixed', 2);
    expect(hits.map((h) => h.message).sort()).toEqual(['mixed ok 1', 'mixed ok 3']);
  });

  it('accepts chunked gzip bodies without a Content-Encoding header', async () => {
    const gz = gzipSync('{"index":{"_index":"chunked"}}\n{"message":"chunked gzip"}\n');
    const body = new ReadableStream({
      start(c) {
        c.enqueue(gz.subarray(0, 10));
        c.enqueue(gz.subarray(10));
        c.close();
      },
    });
    const res = await fetch(`${srv.url}/es/_bulk?refresh=wait_for`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-type': 'application/json' },
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Reply).errors).toBe(false);
    // refresh=wait_for: searchable as soon as the reply arrives
    const r = await fetch(`${srv.url}/api/v1/search?q=_index:chunked`).then(
      (x) => x.json() as Promise<Reply>,
    );
    expect(r.hits[0]).toMatchObject({ message: 'chunked gzip', _index: 'chunked' });
  });

  it('answers 200 with per-item errors even when no item is stored', async () => {
    const r = await esPost('/_bulk', '{"index":{}}\n{"nope":1}\n');
    expect(r.status).toBe(200);
    expect(r.body.errors).toBe(true);
    expect(r.body.items[0].index.status).toBe(400);
  });

  it('refuses unreadable bodies whole, in Elasticsearch error shape', async () => {
    for (const [body, type] of [
      ['', 'parse_exception'],
      ['\n\n  \n', 'action_request_validation_exception'],
      ['{"index":{}}\n{"message":"a"}\nnot json\n{"message":"b"}\n', 'illegal_argument_exception'],
      ['{"frobnicate":{}}\n{}\n', 'illegal_argument_exception'],
      ['{"index":{},"create":{}}\n{}\n', 'illegal_argument_exception'],
    ] as const) {
      const r = await esPost('/_bulk', body);
      expect(r.status, body).toBe(400);
      expect(r.headers.get('x-elastic-product')).toBe('Elasticsearch');
      expect(r.body).toMatchObject({ status: 400, error: { type, root_cause: [{ type }] } });
    }
    const r = await esPost('/_bulk', '{"index":{}}\n{"message":"a"}\n', { 'content-encoding': 'zstd' });
    expect(r.status).toBe(415);
    expect(r.body.error.reason).toMatch(/zstd/);
    const g = await esPost('/_bulk', 'not gzip', { 'content-encoding': 'gzip' });
    expect(g.status).toBe(400);
    expect(g.body.error.type).toBe('parse_exception');
  });

  it('answers 503 with Retry-After while ingest is closed, and stores nothing', async () => {
    const { pipeline } = srv.server.ctx;
    pipeline.accepting = false;
    try {
      const r = await esPost('/_bulk', '{"index":{"_index":"closed"}}\n{"message":"refused"}\n');
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.body.error.type).toBe('es_rejected_execution_exception');
      const h = await fetch(`${srv.url}/es/_cluster/health`).then((x) => x.json() as Promise<Reply>);
      expect(h.status).toBe('red');
    } finally {
      pipeline.accepting = true;
    }
    await new Promise((r) => setTimeout(r, 300));
    expect((await searchWhenCount(srv.url, { q: '_index:closed' }, 0)).body.total).toBe(0);
  });

  it('unknown routes under /es are Elasticsearch-shaped 404s with the product header', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${srv.url}/es/_index_template/x`, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
      expect(((await res.json()) as Reply).error.type).toBe('resource_not_found_exception');
    }
  });

  it('health endpoints', async () => {
    const h = await fetch(`${srv.url}/es/_cluster/health`).then((r) => r.json() as Promise<Reply>);
    expect(h).toMatchObject({ status: 'green', cluster_name: 'sawmill', number_of_nodes: 1 });
    const cat = await fetch(`${srv.url}/es/_cat/health?format=json`).then((r) => r.json() as Promise<Reply>);
    expect(cat[0]).toMatchObject({ status: 'green', cluster: 'sawmill' });
    const head = await fetch(`${srv.url}/es/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const refresh = await fetch(`${srv.url}/es/any/_refresh`, { method: 'POST' }).then(
      (r) => r.json() as Promise<Reply>,
    );
    expect(refresh._shards.failed).toBe(0);
  });
});

describe('the official Elasticsearch client', () => {
  let client: Client;
  beforeAll(async () => {
    client = new Client({ node: `${srv.url}/es` });
    const base = Date.parse('2025-03-01T10:00:00Z');
    const docs = Array.from({ length: 300 }, (_, i) => ({
      '@timestamp': new Date(base + i * 1000).toISOString(),
      message: `client doc ${i} ${i % 3 === 0 ? 'payment failed' : 'request served'}`,
      level: i % 3 === 0 ? 'error' : 'info',
      service: { name: i % 2 === 0 ? 'api' : 'worker' },
      http: { status: i % 3 === 0 ? 500 : 200 },
      seq: i,
    }));
    const stats = await client.helpers.bulk({
      datasource: docs,
      onDocument: () => ({ index: { _index: 'client-logs' } }),
      flushBytes: 8_000,
      refreshOnCompletion: true,
    });
    expect(stats).toMatchObject({ total: 300, successful: 300, failed: 0 });
  });

  it('info() passes the product check', async () => {
    const info = await client.info();
    expect(info.version.number).toMatch(/^8\./);
    expect(await client.ping()).toBe(true);
  });

  it('bulk helper documents are searchable through /api/v1/search with the right fields', async () => {
    const r = await searchWhenCount(srv.url, { q: '_index:client-logs', limit: '1' }, 300);
    expect(r.body.hits[0]).toMatchObject({
      timestamp: '2025-03-01T10:04:59.000Z',
      level: 'info',
      message: 'client doc 299 request served',
      resourceId: 'worker',
      service: { name: 'worker' },
      http: { status: 200 },
      _index: 'client-logs',
    });
    const errors = await searchWhenCount(
      srv.url,
      { q: '_index:client-logs AND level:error AND http.status:>=500' },
      100,
    );
    expect(errors.body.total).toBe(100);
  });

  it('search(): match, term, range, bool, query_string, size/from, sort, hits.total', async () => {
    const match = await client.search({
      index: 'client-logs',
      query: { match: { message: 'payment' } },
      size: 5,
    });
    expect(match.hits.total).toEqual({ value: 100, relation: 'eq' });
    expect(match.hits.hits).toHaveLength(5);
    expect((match.hits.hits[0]!._source as Reply).seq).toBe(297);

    const bool = await client.search({
      index: 'client-*',
      query: {
        bool: {
          must: [{ term: { level: 'error' } }],
          filter: [{ range: { '@timestamp': { gte: '2025-03-01T10:01:00Z', lt: '2025-03-01T10:02:00Z' } } }],
          must_not: [{ term: { 'service.name.keyword': 'worker' } }],
        },
      },
      sort: [{ '@timestamp': { order: 'asc' } }],
      size: 3,
      from: 1,
    });
    // seconds 60..119, every third is an error, even ones are "api": 60, 66, 72, ... → from=1 skips 60
    expect(bool.hits.total).toEqual({ value: 10, relation: 'eq' });
    expect(bool.hits.hits.map((h) => (h._source as Reply).seq)).toEqual([66, 72, 78]);
    expect(bool.hits.hits[0]!._index).toBe('client-logs');
    expect(bool.hits.hits[0]!.sort).toEqual([Date.parse('2025-03-01T10:01:06Z')]);

    const qs = await client.search({
      index: 'client-logs',
      query: { query_string: { query: 'level:error AND "payment failed" AND seq:<10' } },
      sort: '@timestamp:desc',
    });
    expect(qs.hits.hits.map((h) => (h._source as Reply).seq)).toEqual([9, 6, 3, 0]);

    const should = await client.search({
      index: 'client-logs',
      query: {
        bool: { should: [{ match_phrase: { message: 'client doc 5 request' } }, { terms: { seq: [7, 8] } }] },
      },
      sort: [{ '@timestamp': 'asc' }],
    });
    expect(should.hits.hits.map((h) => (h._source as Reply).seq)).toEqual([5, 7, 8]);

    const count = await client.search({
      index: 'client-logs',
      size: 0,
      query: { exists: { field: 'http.status' } },
    });
    expect(count.hits.total).toEqual({ value: 300, relation: 'eq' });
    expect(count.hits.hits).toEqual([]);

    const asInt = await client.search({ index: 'client-logs', rest_total_hits_as_int: true, q: 'seq:42' });
    expect(asInt.hits.total).toBe(1);
  });

  it('search() errors are Elasticsearch errors', async () => {
    await expect(
      client.search({ index: 'client-logs', query: { fuzzy: { message: 'x' } } }),
    ).rejects.toMatchObject({
      meta: { statusCode: 400, body: { error: { type: 'parsing_exception' } } },
    });
    await expect(
      client.search({ index: 'client-logs', query: { query_string: { query: 'level:(' } } }),
    ).rejects.toMatchObject({
      meta: { statusCode: 400, body: { error: { type: 'query_shard_exception' } } },
    });
    await expect(client.search({ index: 'client-logs', sort: [{ seq: 'asc' }] })).rejects.toMatchObject({
      meta: { statusCode: 400 },
    });
    await expect(client.search({ index: 'client-logs', from: 9_999, size: 2 })).rejects.toMatchObject({
      meta: { statusCode: 400 },
    });
    await expect(
      client.search({ index: 'client-logs', query: { range: { '@timestamp': { gte: 'yesterday-ish' } } } }),
    ).rejects.toMatchObject({ meta: { statusCode: 400 } });
  });

  it('GET _search with a body (curl -XGET style)', async () => {
    const reply = await new Promise<Reply>((resolve, reject) => {
      const body = JSON.stringify({ query: { term: { seq: 12 } } });
      const req = http.request(
        `${srv.url}/es/client-logs/_search`,
        {
          method: 'GET',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(reply.status).toBe(200);
    expect(reply.body.hits.total.value).toBe(1);
  });
});
