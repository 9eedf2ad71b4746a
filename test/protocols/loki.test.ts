import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import { compressSync } from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLabels } from '../../src/protocols/loki/labels.js';
import { PushRequest } from '../../src/protocols/loki/proto/push.js';
import { type Reply, searchWhenCount, startTestServer, type TestServer } from '../helpers/server.js';
import { replayAll } from './replay.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});

async function stored(q: string, n = 1): Promise<Reply[]> {
  return (await searchWhenCount(srv.url, { q }, n)).body.hits;
}

async function push(body: Buffer | string, contentType: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${srv.url}/loki/api/v1/push`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType, ...headers },
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? (JSON.parse(text) as Reply) : null };
}

function protoPush(streams: unknown[]): Buffer {
  return compressSync(Buffer.from(PushRequest.encode(PushRequest.fromObject({ streams })).finish()));
}

describe('Loki wire samples, replayed', () => {
  it('pino-loki (JSON): JSON lines merged, labels and structured metadata as fields', async () => {
    const [r] = await replayAll(srv.url, 'pino-loki');
    expect(r!.status).toBe(204);
    const [err] = await stored('app:demo AND level:error AND pid:11106');
    expect(err).toMatchObject({
      timestamp: '2026-11-22T09:07:45.787Z',
      level: 'error',
      originalLevel: 50,
      message: 'Failed to connect to DB',
      resourceId: 'server-1234',
      traceId: 'abc-xyz-123',
      spanId: 'span-456',
      commit: '5e5342f',
      hostname: 'vm',
      app: 'demo',
      time: 1795338465787,
      meta: { parentResourceId: 'server-0987' },
      parentResourceId: 'server-0987',
    });
    expect(err.timestampNs).toBeUndefined(); // whole microseconds: the timestamp holds it all
    const [info] = await stored('"hello from pino-loki"');
    expect(info).toMatchObject({
      level: 'info',
      resourceId: 'server-1234',
      timestamp: '2026-11-22T09:07:45.796Z',
    });
  });

  it('winston-loki (JSON): text lines, metadata fields', async () => {
    await replayAll(srv.url, 'winston-loki-json');
    const [err] = await stored('app:demo AND "Failed to connect to DB" AND metadata:*');
    expect(err).toMatchObject({
      timestamp: '2026-11-22T09:09:38.093Z',
      level: 'error',
      message:
        'Failed to connect to DB {"resourceId":"server-1234","traceId":"abc-xyz-123","spanId":"span-456","commit":"5e5342f","metadata":{"parentResourceId":"server-0987"},"level":"error"}',
      resourceId: 'server-1234',
      traceId: 'abc-xyz-123',
      spanId: 'span-456',
      commit: '5e5342f',
      metadata: '{"parentResourceId":"server-0987"}',
    });
    const [info] = await stored('"hello from winston-loki"');
    expect(info).toMatchObject({ level: 'info', resourceId: 'server-1', app: 'demo' });
  });

  it('winston-loki (protobuf + snappy): labels string parsed', async () => {
    const [r] = await replayAll(srv.url, 'winston-loki-protobuf');
    expect(r!.status).toBe(204);
    const hits = await stored('app:demo AND timestamp:"2026-11-22T09:09:35.110Z"', 2);
    expect(hits.map((h) => [h.level, h.resourceId ?? null, h.message.split(' {')[0]]).sort()).toEqual([
      ['error', null, 'Failed to connect to DB'],
      ['info', 'server-1', 'hello from winston-loki'],
    ]);
  });
});

describe('pino-loki against Sawmill', () => {
  it('logs arrive searchable with labels and fields', async () => {
    const stream = pinoLoki({
      host: srv.url,
      batching: { interval: 0.05 },
      labels: { app: 'pino-test', env: 'ci' },
      propsToLabels: ['component'],
    });
    const logger = pino({ level: 'trace' }, stream);
    logger.info({ component: 'db', orderId: 41 }, 'order stored');
    logger.error({ component: 'db', err: { code: 'ECONNREFUSED' } }, 'connection refused');
    logger.debug({ traceId: 'trace-pl' }, 'debugging');
    await new Promise((r) => setTimeout(r, 300));
    stream.end();
    const hits = await stored('app:pino-test AND env:ci', 3);
    const byMsg = Object.fromEntries(hits.map((h) => [h.message, h]));
    expect(byMsg['order stored']).toMatchObject({ level: 'info', component: 'db', orderId: 41 });
    expect(byMsg['connection refused']).toMatchObject({ level: 'error', err: { code: 'ECONNREFUSED' } });
    expect(byMsg.debugging).toMatchObject({ level: 'debug', traceId: 'trace-pl' });
  });
});

describe('Loki push semantics', () => {
  it('keeps nanoseconds, structured metadata (protobuf), gzip JSON', async () => {
    const p = await push(
      protoPush([
        {
          labels: '{job="ns", path="C:\\\\logs\\"x\\"", level="warn"}',
          entries: [
            {
              timestamp: { seconds: 1_700_000_000, nanos: 123_456_789 },
              line: 'nanosecond line',
              structuredMetadata: [{ name: 'trace_id', value: 't-1' }],
            },
          ],
        },
      ]),
      'application/x-protobuf',
    );
    expect(p.status).toBe(204);
    const [ns] = await stored('job:ns');
    expect(ns).toMatchObject({
      timestamp: '2023-11-14T22:13:20.123456Z',
      timestampNs: '1700000000123456789',
      level: 'warn',
      path: 'C:\\logs"x"',
      trace_id: 't-1',
      message: 'nanosecond line',
    });

    const body = JSON.stringify({
      streams: [{ stream: { job: 'gz' }, values: [['1700000000000000001', 'gz line']] }],
    });
    const g = await push(gzipSync(body), 'application/json', { 'content-encoding': 'gzip' });
    expect(g.status).toBe(204);
    expect((await stored('job:gz'))[0]).toMatchObject({
      timestampNs: '1700000000000000001',
      message: 'gz line',
    });
  });

  it('per-entry errors in a 200 with the rest stored; none valid is a 400', async () => {
    const body = JSON.stringify({
      streams: [
        {
          stream: { job: 'partial', message: 'label named message' },
          values: [
            ['1700000000000000000', 'partial ok'],
            ['soon', 'bad time'],
            ['1700000000000000000', 42],
            ['1700000000000000000', 'bad metadata', { a: { b: 1 } }],
            ['9700000000000000000', 'far future'],
            '1700000000000000000',
            ['1700000000000000000', '{"msg":"json line","n":1,"timestamp":"own"}'],
          ],
        },
      ],
    });
    const r = await push(body, 'application/json');
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(2);
    expect(r.body.errors.map((e: Reply) => [e.index, e.code])).toEqual([
      [1, 'invalid_timestamp'],
      [2, 'invalid_message'],
      [3, 'invalid_field'],
      [4, 'timestamp_out_of_range'],
      [5, 'not_an_object'],
    ]);
    const hits = await stored('job:partial', 2);
    const json = hits.find((h) => h.message === 'json line');
    expect(json).toMatchObject({ n: 1, 'line.timestamp': 'own', 'labels.message': 'label named message' });
    expect(hits.find((h) => h.message === 'partial ok')).toBeDefined();

    const none = await push(
      JSON.stringify({ streams: [{ stream: {}, values: [['x', 'y']] }] }),
      'application/json',
    );
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('no_valid_records');
  });

  it('clear 400s for bodies that cannot be read', async () => {
    const cases: Array<[Buffer | string, string, RegExp]> = [
      ['{"streams":', 'application/json', /not valid JSON/],
      ['{"streams":{}}', 'application/json', /"streams" must be an array/],
      ['{"streams":[{"stream":{},"values":{}}]}', 'application/json', /values must be an array/],
      [Buffer.from('plain protobuf, not snappy'), 'application/x-protobuf', /snappy/],
      [Buffer.alloc(0), 'application/x-protobuf', /snappy/],
      [
        compressSync(Buffer.from([0x0a, 0x05, 0x0a, 0xff])),
        'application/x-protobuf',
        /not a protobuf PushRequest/,
      ],
      [protoPush([{ labels: 'job="x"', entries: [] }]), 'application/x-protobuf', /must start with "\{"/],
      [protoPush([{ labels: '{job="x}', entries: [] }]), 'application/x-protobuf', /unterminated/],
    ];
    for (const [body, type, message] of cases) {
      const r = await push(body, type);
      expect(r.status, String(message)).toBe(400);
      expect(r.body.error.message).toMatch(message);
    }
    // A snappy header claiming a huge decoded size is refused before decompressing.
    const bomb = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x7f, 0x00]);
    const b = await push(bomb, 'application/x-protobuf');
    expect(b.status).toBe(413);
  });

  it('an empty push is a 204; 503 with Retry-After while ingest is closed', async () => {
    expect((await push('{"streams":[]}', 'application/json')).status).toBe(204);
    const { pipeline } = srv.server.ctx;
    pipeline.accepting = false;
    try {
      const res = await fetch(`${srv.url}/loki/api/v1/push`, {
        method: 'POST',
        body: JSON.stringify({ streams: [{ stream: {}, values: [['1700000000000000000', 'x']] }] }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
    } finally {
      pipeline.accepting = true;
    }
  });
});

describe('label selector parsing', () => {
  it('reads Prometheus label syntax with escapes and refuses malformed text', () => {
    expect(parseLabels('{}')).toEqual({});
    expect(parseLabels(' { a="1" , b_2 = "x\\ny\\"z" , } ')).toEqual({ a: '1', b_2: 'x\ny"z' });
    expect(() => parseLabels('{a=1}')).toThrow(/quoted value/);
    expect(() => parseLabels('{a="1" b="2"}')).toThrow(/"," or "}"/);
    expect(() => parseLabels('{a="\\q"}')).toThrow(/unknown escape/);
    expect(() => parseLabels('{a="1"} x')).toThrow(/after "}"/);
  });
});
