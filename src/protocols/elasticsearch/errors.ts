import type { FastifyError } from 'fastify';
import { OverloadedError } from '../../buffer/buffer.js';
import { QuerySyntaxError } from '../../query/parse.js';
import { ApiError } from '../../server/errors.js';
import { QueryTimeoutError } from '../../store/errors.js';

/**
 * Elasticsearch-shaped errors. ES clients and shippers read `error.type`, `error.reason` and
 * `status` (and some only the status), so everything under /es answers in this shape instead of
 * Sawmill's own `{"error":{"code",...}}`.
 */
export class EsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
    /** Seconds, sent as Retry-After (429/503). */
    readonly retryAfter?: number,
  ) {
    super(reason);
  }

  toJSON(): {
    error: { root_cause: Array<{ type: string; reason: string }>; type: string; reason: string };
    status: number;
  } {
    const cause = { type: this.type, reason: this.message };
    return { error: { root_cause: [cause], ...cause }, status: this.status };
  }
}

/** ES error types for Sawmill's error codes, chosen as what a real cluster answers in that case. */
const TYPES: Record<string, string> = {
  invalid_body: 'parse_exception',
  empty_body: 'parse_exception',
  no_valid_records: 'illegal_argument_exception',
  invalid_parameter: 'illegal_argument_exception',
  query_syntax: 'query_shard_exception',
  unauthorized: 'security_exception',
  forbidden: 'security_exception',
  unsupported_encoding: 'illegal_argument_exception',
  body_too_large: 'content_too_long_exception',
  not_found: 'resource_not_found_exception',
  overloaded: 'es_rejected_execution_exception',
  unavailable: 'es_rejected_execution_exception',
  query_timeout: 'search_phase_execution_exception',
  internal: 'exception',
};

export function toEsError(err: FastifyError | Error): EsError {
  if (err instanceof EsError) return err;
  if (err instanceof OverloadedError) {
    // Beats, Logstash, Fluent Bit and Vector all back off and retry on 429 (and on 503).
    return new EsError(err.status, 'es_rejected_execution_exception', err.message, err.retryAfterSeconds);
  }
  if (err instanceof ApiError) {
    return new EsError(err.status, TYPES[err.code] ?? 'exception', err.message, err.retryAfter);
  }
  if (err instanceof QueryTimeoutError)
    return new EsError(503, 'search_phase_execution_exception', err.message, 1);
  if (err instanceof QuerySyntaxError) return new EsError(400, 'query_shard_exception', err.message);
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fe.statusCode === 413) {
    return new EsError(
      413,
      'content_too_long_exception',
      `request body is larger than the limit: ${fe.message}`,
    );
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new EsError(fe.statusCode, 'illegal_argument_exception', fe.message);
  }
  return new EsError(500, 'exception', 'internal error; see the Sawmill server log');
}
