import type { FastifyError } from 'fastify';
import { OverloadedError } from '../buffer/buffer.js';
import { QuerySyntaxError } from '../query/syntax-error.js';
import { QueryTimeoutError } from '../store/errors.js';

/**
 * The error catalogue. Every error the API returns is `{"error":{"code","message","details"?}}`
 * with one of these codes, so clients can branch on `code` and people can read `message`.
 */
export const ERROR_STATUS = {
  invalid_body: 400,
  empty_body: 400,
  no_valid_records: 400,
  invalid_parameter: 400,
  query_syntax: 400,
  unauthorized: 401,
  forbidden: 403,
  unsupported_encoding: 415,
  body_too_large: 413,
  not_found: 404,
  overloaded: 429,
  unavailable: 503,
  query_timeout: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Seconds, sent as Retry-After (429/503). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }

  toJSON(): { error: { code: string; message: string; details?: unknown } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

/** Any error a handler throws, as the API error its client gets. */
export function toApiError(err: FastifyError | Error): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof OverloadedError) {
    return new ApiError(
      err.status === 429 ? 'overloaded' : 'unavailable',
      err.message,
      undefined,
      err.retryAfterSeconds,
    );
  }
  if (err instanceof QueryTimeoutError) return new ApiError('query_timeout', err.message, undefined, 1);
  if (err instanceof QuerySyntaxError)
    return new ApiError('query_syntax', err.message, { position: err.position });
  // Our SQL is fixed; an input error from the engine can only come from a user value (a regex
  // RE2 rejects, say), so it is the client's to fix.
  if (/^Invalid Input Error/.test(err.message)) {
    return new ApiError('query_syntax', `the query was rejected by the store: ${err.message}`);
  }
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fe.statusCode === 413) {
    return new ApiError('body_too_large', `request body is larger than the limit: ${fe.message}`);
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
    return new ApiError('invalid_body', fe.message);
  return new ApiError('internal', 'internal error; see the server log');
}
