import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OverloadedError } from '../../buffer/buffer.js';
import { decodeBody, looksGzipped } from '../../ingest/body.js';
import type { IngestOutcome } from '../../ingest/pipeline.js';
import type { IngestContext } from '../../server/context.js';
import { ApiError } from '../../server/errors.js';
import { otlpToCandidates } from './map.js';
import { ExportLogsServiceRequest, ExportLogsServiceResponse, Status } from './proto/index.js';

type Format = 'json' | 'protobuf';

/** gRPC status codes carried in the Status body of OTLP/HTTP error replies. */
const GRPC = {
  INVALID_ARGUMENT: 3,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** 4xx statuses that have a gRPC code of their own (access control); other 4xx are INVALID_ARGUMENT. */
const CLIENT_ERROR_CODES: Record<number, number> = { 401: GRPC.UNAUTHENTICATED, 403: GRPC.PERMISSION_DENIED };

/** At most this many per-record reasons are spelled out in `partialSuccess.errorMessage`. */
const LISTED_ERRORS = 10;

/**
 * OTLP/HTTP logs: `POST /v1/logs`, binary protobuf or JSON, gzip welcome. Replies — success and
 * error alike — are encoded like the request (ExportLogsServiceResponse, or google.rpc.Status for
 * errors), as the OTLP/HTTP specification requires.
 */
export function registerOtlpRoutes(app: FastifyInstance, ctx: IngestContext): void {
  app.register(async (otlp) => {
    otlp.setErrorHandler((thrown, req, reply) => {
      const err = thrown instanceof Error ? thrown : new Error(String(thrown));
      const format = formatOf(req) ?? 'json';
      let status = 500;
      let code: number = GRPC.INTERNAL;
      let message = 'internal error; see the Sawmill server log';
      if (err instanceof OverloadedError) {
        ctx.metrics.refusals.inc({ status: String(err.status) });
        // Exporters retry 429 and 503 and honour Retry-After.
        status = err.status;
        code = err.status === 429 ? GRPC.RESOURCE_EXHAUSTED : GRPC.UNAVAILABLE;
        message = err.message;
        void reply.header('retry-after', String(err.retryAfterSeconds));
      } else if (err instanceof ApiError) {
        status = err.status;
        code = status >= 500 ? GRPC.UNAVAILABLE : (CLIENT_ERROR_CODES[status] ?? GRPC.INVALID_ARGUMENT);
        message = err.message;
        if (err.retryAfter !== undefined) void reply.header('retry-after', String(err.retryAfter));
      } else {
        const fe = err as { statusCode?: number; code?: string; message: string };
        if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fe.statusCode === 413) {
          status = 413;
          code = GRPC.INVALID_ARGUMENT;
          message = `request body is larger than the limit: ${fe.message}`;
        } else if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
          status = fe.statusCode;
          code = GRPC.INVALID_ARGUMENT;
          message = fe.message;
        } else req.log.error(err);
      }
      return send(reply.code(status), format, Status, { code, message });
    });

    otlp.post('/v1/logs', async (req, reply) => {
      const format = formatOf(req);
      if (format === null) {
        throw new ApiError(
          'unsupported_encoding',
          `Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')} is not OTLP: use application/x-protobuf or application/json`,
        );
      }
      const raw = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
      ctx.metrics.bytesIngested.inc({ protocol: 'otlp' }, raw.length);
      const encoding = req.headers['content-encoding'] ?? (looksGzipped(raw) ? 'gzip' : undefined);
      const body = await decodeBody(raw, encoding, ctx.config.limits);
      const candidates = toCandidates(body, format);
      // An empty export is valid OTLP (nothing to store): answer success.
      if (candidates.length === 0) return send(reply.code(200), format, ExportLogsServiceResponse, {});
      const outcome = await ctx.pipeline.ingest(candidates, 'otlp');
      return send(reply.code(200), format, ExportLogsServiceResponse, exportResponse(outcome));
    });
  });
}

/**
 * All accepted: an empty response. Some refused: `partialSuccess` with the count and the first
 * reasons. None accepted: a 400, which exporters do not retry (the data would fail again).
 */
function exportResponse(outcome: IngestOutcome): Record<string, unknown> {
  if (outcome.errors.length === 0) return {};
  const reasons = outcome.errors
    .slice(0, LISTED_ERRORS)
    .map((e) => `log record ${e.index}: ${e.code}: ${e.message}`)
    .join('; ');
  const more =
    outcome.errors.length > LISTED_ERRORS ? ` (and ${outcome.errors.length - LISTED_ERRORS} more)` : '';
  if (outcome.accepted === 0) {
    throw new ApiError(
      'no_valid_records',
      `none of the ${outcome.errors.length} log records was accepted: ${reasons}${more}`,
    );
  }
  return { partialSuccess: { rejectedLogRecords: outcome.errors.length, errorMessage: `${reasons}${more}` } };
}

/**
 * Decoded message → candidates in a function of its own, so the decoded tree (a dozen objects per
 * log record) is garbage before the request waits for the disk, instead of living through the
 * await into the old generation: that measured several µs of server CPU per record.
 */
function toCandidates(body: Buffer, format: Format) {
  const request = format === 'json' ? parseJson(body) : decodeProto(body);
  return otlpToCandidates(request, new Date().toISOString());
}

function formatOf(req: FastifyRequest): Format | null {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return null;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ApiError('invalid_body', `body is not valid OTLP/JSON: ${(err as Error).message}`);
  }
}

function decodeProto(body: Buffer): unknown {
  try {
    return ExportLogsServiceRequest.decode(body);
  } catch (err) {
    throw new ApiError(
      'invalid_body',
      `body is not a protobuf ExportLogsServiceRequest: ${(err as Error).message}`,
    );
  }
}

/** Encodes like the request: OTLP/JSON (int64 as strings) or binary protobuf. */
function send(
  reply: FastifyReply,
  format: Format,
  type: typeof Status,
  value: Record<string, unknown>,
): FastifyReply {
  if (format === 'protobuf') {
    const bytes = type.encode(type.fromObject(value)).finish();
    return reply
      .type('application/x-protobuf')
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  const json = JSON.stringify(value, (_k, v) => (_k === 'rejectedLogRecords' ? String(v) : v));
  return reply.type('application/json').send(json);
}
