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
