import { gzipSync } from 'node:zlib';
import gelfPro from 'gelf-pro';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OverloadedError } from '../../src/buffer/buffer.js';
import { get, type Reply, searchWhenCount, startTestServer, type TestServer } from '../helpers/server.js';
import { chunk, replaySockets, sendTcp, sendUdp } from './syslog-gelf-sockets.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});
const ports = () => srv.server.gelf!;

async function hits(q: string, n: number): Promise<Reply[]> {
  return (await searchWhenCount(srv.url, { q, limit: '100' }, n)).body.hits;
}

async function postGelf(body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${srv.url}/gelf`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Reply) : null };
}

describe('wire samples', () => {
  it('syslog-ng graylog2() over UDP and TCP', async () => {
    await replaySockets('syslog-ng-graylog2-gelf', ports());
    const records = await hits('program:myapp', 2);
    for (const r of records) {
      expect(r).toMatchObject({
        message: 'Failed to connect to DB',
        timestamp: '2026-11-22T09:11:30.000Z',
        level: 'error',
        severity: 'err',
        host: 'vm',
        resourceId: 'vm',
        facility: 'local0',
        program: 'myapp',
      });
    }
  });

  it('gelf-pro: chunked + deflated UDP and NUL-terminated TCP', async () => {
    await replaySockets('gelf-pro-npm', ports());
    const records = await hits('facility:demo AND resourceId:server-1234', 2);
    for (const r of records) {
      expect(r).toMatchObject({
        message: 'Failed to connect to DB',
        level: 'error',
        host: 'vm',
        resourceId: 'server-1234',
        traceId: 'abc-xyz-123',
        commit: '5e5342f',
      });
      expect(r.timestamp).toMatch(/^2026-11-22T09:11:\d\d\.\d{3}Z$/);
    }
    expect(records.map((r) => r.timestamp)).toContain('2026-11-22T09:11:41.742Z');
  });
});

describe('real client: gelf-pro', () => {
  it.each(['udp', 'tcp'] as const)(
    'over %s, including a message large enough to be chunked',
    async (adapterName) => {
      const log = Object.create(gelfPro).setConfig({
        fields: { facility: `gelfpro-${adapterName}` },
        adapterName,
        adapterOptions: {
          host: '127.0.0.1',
          port: adapterName === 'udp' ? ports().udpPort : ports().tcpPort,
        },
      });
      const send = (fn: 'error' | 'warning' | 'info', msg: string, extra: Record<string, unknown>) =>
        new Promise<void>((resolve, reject) =>
          log[fn](msg, extra, (err: Error | null) => (err ? reject(err) : resolve())),
        );
      await send('error', `gelf-pro ${adapterName} error`, { resourceId: 'server-7', http: { status: 502 } });
      // ~20 KB of incompressible text: several UDP chunks of at most 1420 bytes each.
      const big = Array.from({ length: 1500 }, (_, i) => ((i * 7919) % 100000).toString(36)).join(' ');
      await send('warning', `gelf-pro ${adapterName} big`, { payload: big });
      const [err] = await hits(`facility:gelfpro-${adapterName} AND level:error`, 1);
      expect(err).toMatchObject({
        message: `gelf-pro ${adapterName} error`,
        resourceId: 'server-7',
        http_status: 502,
        severity: 'err',
      });
      expect(Date.now() - Date.parse(err.timestamp)).toBeLessThan(60_000);
      const [large] = await hits(`facility:gelfpro-${adapterName} AND level:warn`, 1);
      expect(large.payload).toBe(big);
    },
  );
});

describe('UDP and TCP edge cases', () => {
  it('hand-made chunks out of order, gzip inside; plain JSON datagram; zlib bomb and garbage dropped and counted', async () => {
    const payload = gzipSync(JSON.stringify({ short_message: 'chunked by hand', host: 'h2', level: 6 }));
    const third = Math.ceil(payload.length / 3);
    const parts = [0, 1, 2].map((i) => chunk(99, i, 3, payload.subarray(i * third, (i + 1) * third)));
    await sendUdp(ports().udpPort, [parts[2]!, parts[0]!, parts[1]!]);
    await sendUdp(ports().udpPort, ['{"short_message":"plain datagram","host":"h3"}']);
    await sendUdp(ports().udpPort, [gzipSync(Buffer.alloc(2 << 20, 0x20)), 'not json at all']);
    expect((await hits('"chunked by hand"', 1))[0]).toMatchObject({ level: 'info', resourceId: 'h2' });
    expect((await hits('"plain datagram"', 1))[0]).toMatchObject({ host: 'h3' });
    const metrics = (await get(srv.url, '/metrics')).body as string;
    expect(metrics).toMatch(
      /sawmill_socket_dropped_total\{protocol="gelf",transport="udp",reason="message_too_large"\} 1/,
    );
    expect(metrics).toMatch(
      /sawmill_socket_errors_total\{protocol="gelf",transport="udp",reason="refused_invalid_json"\} 1/,
    );
  });

  it('TCP: several messages per read, split across reads, newline before NUL, a bad one in between', async () => {
    await sendTcp(ports().tcpPort, [
      '{"short_message":"tcp one","_n":1}\0{"short_message":"tcp',
      ' two","_n":2}\n\0{broken}\0{"short_message":"tcp three","_n":3}',
    ]);
    expect((await hits('n:* AND tcp', 3)).map((r) => r.n).sort()).toEqual([1, 2, 3]);
  });
});

describe('POST /gelf', () => {
  it('202 once durable; gzip, deflate and magic-byte detection', async () => {
    const msg = { version: '1.1', host: 'web-1', short_message: 'over http', level: 4, _route: '/x' };
    const plain = await postGelf(JSON.stringify(msg));
    expect(plain.status).toBe(202);
    expect(plain.body).toEqual({ accepted: 1, rejected: 0, errors: [] });
    expect(
      (await postGelf(gzipSync(JSON.stringify({ ...msg, _route: '/gz' })), { 'content-encoding': 'gzip' }))
        .status,
    ).toBe(202);
    expect((await postGelf(gzipSync(JSON.stringify({ ...msg, _route: '/magic' })))).status).toBe(202);
    const { deflateSync } = await import('node:zlib');
    expect((await postGelf(deflateSync(JSON.stringify({ ...msg, _route: '/zlib' })))).status).toBe(202);
    const stored = await hits('"over http"', 4);
    expect(stored.map((r) => r.route).sort()).toEqual(['/gz', '/magic', '/x', '/zlib']);
    expect(stored[0]).toMatchObject({ level: 'warn', host: 'web-1', resourceId: 'web-1' });
  });

  it('400 when nothing is valid, per-record errors otherwise', async () => {
    const none = await postGelf('{"host":"h"}');
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('no_valid_records');
    expect(none.body.error.details[0]).toMatchObject({ index: 0, code: 'missing_message' });
    expect((await postGelf('{"short_message":')).status).toBe(400);
    expect((await postGelf('')).body.error.code).toBe('empty_body');
    const mixed = await postGelf('{"short_message":"batch ok"}\n{"nope":1}\n', {
      'content-type': 'application/x-ndjson',
    });
    expect(mixed.status).toBe(202);
    expect(mixed.body).toMatchObject({
      accepted: 1,
      rejected: 1,
      errors: [{ index: 1, line: 2, code: 'missing_message' }],
    });
  });

  it('429 with Retry-After when overloaded', async () => {
    const pipeline = srv.server.ctx.pipeline;
    const real = pipeline.ingest;
    pipeline.ingest = async () => {
      throw new OverloadedError('too many bytes waiting for the disk', 429, 1);
    };
    try {
      const res = await postGelf('{"short_message":"refused"}');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
    } finally {
      pipeline.ingest = real;
    }
  });
});
