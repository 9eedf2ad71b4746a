/**
 * Documented ingest limits (docs/api.md#limits). Every one is enforced with a clear error:
 * body limits with 413, per-record limits as a per-record rejection inside the batch reply.
 */
export interface Limits {
  /** Largest request body, compressed or not, in bytes. */
  maxBodyBytes: number;
  /** Largest body after gzip decompression (guards against decompression bombs). */
  maxDecodedBodyBytes: number;
  /** Largest single record, measured as its normalised JSON. */
  maxRecordBytes: number;
  /** Deepest object/array nesting inside a record. */
  maxDepth: number;
  /** Most leaf fields in a record (after flattening nested objects). */
  maxFields: number;
  /** Accepted timestamps: not before this (µs since epoch)... */
  minTimestampMicros: number;
  /** ...and not later than now + this many µs (clock skew allowance). */
  maxFutureMicros: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 32 * 1024 * 1024,
  maxDecodedBodyBytes: 128 * 1024 * 1024,
  maxRecordBytes: 512 * 1024,
  maxDepth: 32,
  maxFields: 1000,
  minTimestampMicros: 0,
  maxFutureMicros: 24 * 3600 * 1_000_000,
};
