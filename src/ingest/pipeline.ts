import { type IngestBuffer, OverloadedError } from '../buffer/buffer.js';
import type { Metrics } from '../metrics.js';
import type { IdGenerator } from '../model/id.js';
import type { Limits } from '../model/limits.js';
import { normaliseRecord, type RecordError, serialiseRecord } from '../model/normalise.js';
import type { StoredRecord } from '../model/record.js';
import { ApiError } from '../server/errors.js';
import type { PartBounds } from '../store/store.js';
import type { AttributePromoter } from './attribute-columns.js';
import type { Candidate } from './candidate.js';

export interface IngestError extends RecordError {
  /** 0-based position of the record in the request. */
  index: number;
  /** 1-based line, for line-oriented bodies. */
  line?: number;
}

export interface IngestOutcome {
  accepted: number;
  errors: IngestError[];
  /** The records as stored, in request order (protocol adapters echo ids back). */
  ids: Array<string | null>;
}

/**
 * The write path every protocol shares: normalise and validate each candidate, give the valid
 * ones ids, and append them to the durable buffer. Resolves only once the buffer says they are
 * durable; rejects (nothing stored) when the buffer refuses.
 */
export class IngestPipeline {
  /** Off until the backlog from before a restart is loaded and the id generator is seeded. */
  accepting = false;
  /** What a client refused while `accepting` is off is told (a cluster node says why it is off). */
  notAcceptingReason = 'server is starting: replaying its spool';

  constructor(
    private readonly buffer: IngestBuffer,
    private readonly ids: IdGenerator,
    private readonly limits: Limits,
    private readonly metrics: Metrics,
    /** Records older than this many µs are refused (retention would delete them at once); 0 = keep all. */
    private readonly retentionMicros = 0,
    /** Splits frequent attributes into the store's attribute columns, when the store has them. */
    private readonly promoter?: AttributePromoter,
  ) {}

  async ingest(candidates: Candidate[], protocol: string): Promise<IngestOutcome> {
    if (!this.accepting) throw new OverloadedError(this.notAcceptingReason, 503, 1);
    const nowMicros = Date.now() * 1000;
    const minMicros = this.retentionMicros > 0 ? nowMicros - this.retentionMicros : undefined;
    const ctx = { limits: this.limits, nowMicros, minMicros };
    const errors: IngestError[] = [];
    const valid: Array<{ index: number; record: StoredRecord }> = [];
    candidates.forEach((c, index) => {
      if ('error' in c) {
        errors.push({ index, line: c.line, ...c.error });
        return;
      }
      const r = normaliseRecord(c.value, ctx);
      if ('error' in r) errors.push({ index, line: c.line, ...r.error });
      else valid.push({ index, record: r.record });
    });

    if (valid.length > this.ids.maxReservation) {
      // A cluster ingest node issues one request's ids inside one of its own milliseconds (model/id.ts).
      throw new ApiError(
        'body_too_large',
        `${valid.length} records in one request; a cluster ingest node takes at most ${this.ids.maxReservation}: split the batch`,
      );
    }
    const ids: Array<string | null> = new Array(candidates.length).fill(null);
    const lines: string[] = [];
    let next = valid.length > 0 ? this.ids.reserve(valid.length) : 0n;
    const bounds: PartBounds = {
      minTs: Number.POSITIVE_INFINITY,
      maxTs: Number.NEGATIVE_INFINITY,
      firstId: next,
      lastId: next + BigInt(valid.length) - 1n,
    };
    for (const { index, record } of valid) {
      const id = (next++).toString();
      record.id = id;
      this.promoter?.apply(record);
      const line = serialiseRecord(record, this.limits);
      if (typeof line !== 'string') errors.push({ index, line: candidates[index]!.line, ...line });
      else {
        lines.push(line);
        ids[index] = id;
        if (record.ts < bounds.minTs) bounds.minTs = record.ts;
        if (record.ts > bounds.maxTs) bounds.maxTs = record.ts;
      }
    }
    if (lines.length > 0) await this.buffer.append(lines, bounds);
    errors.sort((a, b) => a.index - b.index);
    this.metrics.recordsIngested.inc({ result: 'accepted', protocol }, lines.length);
    if (errors.length > 0) this.metrics.recordsIngested.inc({ result: 'rejected', protocol }, errors.length);
    return { accepted: lines.length, errors, ids };
  }
}
