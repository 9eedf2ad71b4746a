import type { LoadBatch, PartBounds } from '../store/store.js';

/**
 * The durable buffer between ingest and the store. Embedded mode spools to local files with
 * group commit (buffer/spool); cluster mode publishes to RabbitMQ with confirms.
 */
export interface IngestBuffer {
  open(): Promise<void>;
  /**
   * Append serialised records. Resolves only when they are durable (fsync'd or broker-confirmed);
   * rejects with OverloadedError, without having stored anything, when the buffer is full.
   */
  append(lines: string[], bounds: PartBounds): Promise<void>;
  /**
   * Hand buffered batches to `deliver` in order, removing each only after `deliver` resolved
   * (the store committed it). A failed delivery is retried: never skipped, never lost.
   */
  startDelivery(deliver: (batch: LoadBatch) => Promise<void>): void;
  /** Bytes accepted but not yet delivered to the store. */
  depthBytes(): number;
  /** Stop accepting, finish in-flight appends and the current delivery. */
  close(): Promise<void>;
}

/** The buffer is full or unavailable: the client should retry after `retryAfterSeconds`. */
export class OverloadedError extends Error {
  constructor(
    message: string,
    readonly status: 429 | 503,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'OverloadedError';
  }
}
