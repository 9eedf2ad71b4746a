import { gzipSync } from 'node:zlib';
import { context, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ExportLogsServiceRequest,
  ExportLogsServiceResponse,
  Status,
} from '../../src/protocols/otlp/proto/index.js';
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

/** What the captured OTel JS exporter requests store (all three encodings carry the same logs). */
function expectCapturedRecords(error: Reply, kv: Reply, observedPrefix: string) {
  expect(error).toMatchObject({
    timestamp: '2023-09-15T08:00:00.000Z',
    level: 'error',
    message: 'Failed to connect to DB',
    resourceId: 'checkout',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    commit: '5e5342f',
    'service.name': 'checkout',
    'service.instance.id': 'server-1234',
    'otel.scope.name': 'demo-logger',
    'otel.scope.version': '1.2.3',
    'metadata.parentResourceId': 'server-0987',
    retries: 3,
    ok: false,
    ratio: 0.5,
    tags: ['a', 'b'],
  });
  expect(error.observedTimestamp).toMatch(new RegExp(`^${observedPrefix}`));
  expect(error.originalLevel).toBeUndefined();
  expect(kv).toMatchObject({
    level: 'info',
    message: '{"kvlist":true,"nested":{"a":1}}',
    body: { kvlist: true, nested: { a: 1 } },
    resourceId: 'checkout',
  });
  expect(kv.traceId).toBeUndefined();
}

describe('OTLP wire samples, replayed', () => {
  it('OTel JS exporter, JSON (chunked)', async () => {
    const [r] = await replayAll(srv.url, 'otel-exporter-logs-otlp-http-json');
    expect(r!.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(r!.text)).toEqual({});
    const [error] = await stored('level:error AND observedTimestamp:2026-11-22T09\\:10\\:25*');
    const [kv] = await stored('kvlist AND timestamp:"2026-11-22T09:10:25.683Z"');
    expectCapturedRecords(error, kv, '2026-11-22T09:10:25.682');
  });

  it('OTel JS exporter, JSON + gzip', async () => {
    await replayAll(srv.url, 'otel-exporter-logs-otlp-http-json-gzip');
    const [error] = await stored('level:error AND observedTimestamp:2026-11-22T09\\:10\\:42*');
    const [kv] = await stored('kvlist AND timestamp:"2026-11-22T09:10:42.292Z"');
    expectCapturedRecords(error, kv, '2026-11-22T09:10:42.291');
  });

  it('OTel JS exporter, protobuf: replies in protobuf', async () => {
    const [r] = await replayAll(srv.url, 'otel-exporter-logs-otlp-proto');
    expect(r!.headers.get('content-type')).toBe('application/x-protobuf');
    expect(
      ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(Buffer.from(r!.text, 'latin1'))),
    ).toEqual({});
    const [error] = await stored('level:error AND observedTimestamp:2026-11-22T09\\:10\\:27*');
    const [kv] = await stored('kvlist AND timestamp:"2026-11-22T09:10:27.196Z"');
    expectCapturedRecords(error, kv, '2026-11-22T09:10:27.195');
  });
});

describe('the OpenTelemetry JS SDK with the OTLP/HTTP JSON exporter', () => {
  it('emitted logs arrive with resource, scope, attributes, severity and trace context', async () => {
    const exporter = new OTLPLogExporter({ url: `${srv.url}/v1/logs` });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'sdk-svc', 'deployment.environment': 'test' }),
      processors: [new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 50 })],
    });
    const logger = provider.getLogger('sdk-test', '0.1.0');
    const spanCtx = trace.setSpanContext(context.active(), {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    });
    for (let i = 0; i < 120; i++) {
      logger.emit({
        severityNumber: i % 10 === 0 ? SeverityNumber.WARN2 : SeverityNumber.INFO,
        severityText: i % 10 === 0 ? 'WARNING' : 'INFO',
        body: `sdk record ${i}`,
        attributes: { 'http.route': '/pay', seq: i, nested: { deep: 'x' } },
        timestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, i)),
        context: i === 7 ? spanCtx : undefined,
      });
    }
    await provider.forceFlush();
    await provider.shutdown();

    const all = await searchWhenCount(srv.url, { q: 'resourceId:sdk-svc', limit: '1' }, 120);
    expect(all.body.hits[0]).toMatchObject({
      message: 'sdk record 119',
      timestamp: '2025-01-01T00:00:00.119Z',
    });
    const [seven] = await stored('"sdk record 7" AND seq:7');
    expect(seven).toMatchObject({
      level: 'info',
      resourceId: 'sdk-svc',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      'service.name': 'sdk-svc',
      'deployment.environment': 'test',
      'otel.scope.name': 'sdk-test',
      'otel.scope.version': '0.1.0',
      'http.route': '/pay',
      'nested.deep': 'x',
    });
    const warns = await stored('resourceId:sdk-svc AND level:warn', 12);
    expect(warns[0]).toMatchObject({ severityNumber: 14, originalLevel: 'WARNING' });
    expect((await stored('nested.deep:x AND traceId:0af7651916cd43dd8448eb211c80319c')).length).toBe(1);
  });
});

async function postOtlp(body: Buffer | string, contentType: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${srv.url}/v1/logs`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType, ...headers },
  });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

const nowNs = () => `${BigInt(Date.now()) * 1_000_000n + 123_456n}`;

function jsonRequest(records: unknown[]) {
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'edge' } }] },
        scopeLogs: [{ scope: { name: 's' }, logRecords: records }],
      },
    ],
  });
}

describe('OTLP semantics', () => {
  it('keeps nanoseconds, maps severity text without a number, accepts snake_case and base64 ids', async () => {
    const ns = nowNs();
    const body = JSON.stringify({
      resource_logs: [
        {
          resource: { attributes: [{ key: 'resourceId', value: { stringValue: 'explicit-res' } }] },
          scope_logs: [
            {
              log_records: [
                {
                  time_unix_nano: ns,
                  severity_text: 'Warning',
                  body: { string_value: 'snake case record' },
                  trace_id: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex').toString('base64'),
                  attributes: [
                    { key: 'message', value: { stringValue: 'attribute called message' } },
                    { key: 'big', value: { intValue: '9007199254740993' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const r = await postOtlp(body, 'application/json');
    expect(r.status).toBe(200);
    const [rec] = await stored('"snake case record"');
    expect(rec).toMatchObject({
      resourceId: 'explicit-res',
      level: 'warn',
      originalLevel: 'Warning',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      timestampNs: ns,
      'attributes.message': 'attribute called message',
      big: '9007199254740993',
    });
    expect(rec.timestamp).toBe(`${new Date(Number(BigInt(ns) / 1_000_000n)).toISOString().slice(0, -1)}123Z`);
  });

  it('partialSuccess for refused records (JSON and protobuf), 400 Status when none is accepted', async () => {
    const records = [
      { timeUnixNano: nowNs(), body: { stringValue: 'partial ok' } },
      { timeUnixNano: '1000', body: { stringValue: 'from 1970 is fine' } },
      {
        timeUnixNano: `${BigInt(Date.now() + 3 * 86_400_000) * 1_000_000n}`,
        body: { stringValue: 'future' },
      },
      { timeUnixNano: 'soon', body: { stringValue: 'bad time' } },
    ];
    const json = await postOtlp(jsonRequest(records), 'application/json');
    expect(json.status).toBe(200);
    const reply = JSON.parse(json.bytes.toString());
    expect(reply.partialSuccess.rejectedLogRecords).toBe('2');
    expect(reply.partialSuccess.errorMessage).toMatch(
      /log record 2: timestamp_out_of_range.*log record 3: invalid_timestamp/,
    );
    expect((await stored('"partial ok" OR "from 1970"', 2)).length).toBe(2);

    const proto = ExportLogsServiceRequest.encode(
      ExportLogsServiceRequest.fromObject(JSON.parse(jsonRequest([records[0], records[2]]))),
    ).finish();
    const p = await postOtlp(Buffer.from(proto), 'application/x-protobuf');
    expect(p.status).toBe(200);
    const decoded = ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(p.bytes), {
      longs: String,
    });
    expect(decoded.partialSuccess).toMatchObject({ rejectedLogRecords: '1' });

    const none = await postOtlp(
      Buffer.from(
        ExportLogsServiceRequest.encode(
          ExportLogsServiceRequest.fromObject(JSON.parse(jsonRequest([records[2]]))),
        ).finish(),
      ),
      'application/x-protobuf',
    );
    expect(none.status).toBe(400);
    const status = Status.toObject(Status.decode(none.bytes));
    expect(status).toMatchObject({ code: 3 });
    expect(status.message).toMatch(/timestamp_out_of_range/);
  });

  it('gzip protobuf, empty export, and clear errors for bad bodies', async () => {
    const proto = ExportLogsServiceRequest.encode(
      ExportLogsServiceRequest.fromObject(
        JSON.parse(jsonRequest([{ body: { stringValue: 'gzipped proto' }, severityNumber: 21 }])),
      ),
    ).finish();
    const g = await postOtlp(gzipSync(proto), 'application/x-protobuf', { 'content-encoding': 'gzip' });
    expect(g.status).toBe(200);
    expect((await stored('"gzipped proto"'))[0]).toMatchObject({ level: 'fatal', resourceId: 'edge' });

    expect((await postOtlp('{}', 'application/json')).status).toBe(200);
    expect((await postOtlp(Buffer.alloc(0), 'application/x-protobuf')).status).toBe(200);

    const badJson = await postOtlp('{"resourceLogs":[', 'application/json');
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.bytes.toString())).toMatchObject({
      code: 3,
      message: expect.stringMatching(/not valid OTLP\/JSON/),
    });
    const wrongShape = await postOtlp('{"resourceLogs":{"x":1}}', 'application/json');
    expect(wrongShape.status).toBe(400);
    expect(JSON.parse(wrongShape.bytes.toString()).message).toMatch(/resourceLogs must be an array/);
    const badProto = await postOtlp(Buffer.from([0x0a, 0xff, 0xff, 0xff]), 'application/x-protobuf');
    expect(badProto.status).toBe(400);
    expect(Status.toObject(Status.decode(badProto.bytes)).message).toMatch(/not a protobuf/);
    const text = await postOtlp('hello', 'text/plain');
    expect(text.status).toBe(415);
  });

  it('answers 503 with Retry-After in the request encoding while ingest is closed', async () => {
    const { pipeline } = srv.server.ctx;
    pipeline.accepting = false;
    try {
      const r = await postOtlp(jsonRequest([{ body: { stringValue: 'closed' } }]), 'application/json');
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(JSON.parse(r.bytes.toString())).toMatchObject({ code: 14 });
      const p = await postOtlp(
        Buffer.from(ExportLogsServiceRequest.encode({}).finish()),
        'application/x-protobuf',
      );
      expect(p.status).toBe(200); // nothing to store: nothing refused
    } finally {
      pipeline.accepting = true;
    }
  });
});
