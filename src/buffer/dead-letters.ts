/**
 * Dead letters: batches a cluster worker gave up loading (after its retries), or broker messages
 * that are not Sawmill's, kept with the reason instead of dropped. The buffer that has them
 * (buffer/rabbitmq/dead-letters.ts) implements this; the HTTP routes and the CLI use only this.
 */
/** One dead letter, as the HTTP routes and the CLI show it. */
export interface DeadLetter {
  /** The message's exactly-once key (what `replay` and `drop` take). */
  key: string;
  /** Records in the message (null when its headers do not say: a malformed message). */
  records: number | null;
  /** Failed deliveries before it was dead-lettered (0: refused at once as malformed). */
  attempts: number;
  reason: string;
  /** ISO 8601, null when unknown. */
  firstFailureAt: string | null;
  lastFailureAt: string | null;
  bytes: number;
  /** The start of its first line. */
  preview: string;
}

export interface DeadLetterAdmin {
  /** Read without consuming them. */
  list(limit: number): Promise<DeadLetter[]>;
  count(): Promise<number>;
  /** Back to the ingest queue with attempts reset; all of them when no keys are named. */
  replay(keys?: string[]): Promise<number>;
  drop(keys: string[]): Promise<number>;
}
