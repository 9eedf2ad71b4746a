import type { Level, OutputRecord } from '../model/record.js';
import type { QueryNode } from '../query/ast.js';

/**
 * The storage seam. Embedded mode implements it on DuckDB, cluster mode on PostgreSQL; the
 * conformance suite (test/store-conformance/) runs the same cases against both.
 * Times are µs since the epoch, ranges inclusive on both ends.
 */
export interface TimeRange {
  from?: number;
  to?: number;
}

export interface QueryParams extends TimeRange {
  query: QueryNode;
}

/** Position after the last hit of a page: (ts, id) of that hit, newest-first order. */
export interface Cursor {
  ts: number;
  id: string;
}

export interface SearchParams extends QueryParams {
  limit: number;
  cursor?: Cursor;
  /** Skip the exact count (export, CLI paging) when the caller does not need it. */
  withTotal?: boolean;
}

export interface SearchResult {
  hits: OutputRecord[];
  total: number | null;
  /** Present when more hits follow the last one. */
  next: Cursor | null;
}

export interface HistogramParams extends QueryParams {
  intervalMicros: number;
  /**
   * `from` is the oldest match's timestamp and `to` the newest's (the caller found them with
   * `timeBounds`): no match lies outside, so a store may read that end as open — the DuckDB store
   * then sees whole days, whose answers it keeps; PostgreSQL prunes partitions by the bounds.
   */
  fromIsOldestMatch?: boolean;
  toIsNewestMatch?: boolean;
}

export interface HistogramBucket {
  /** Bucket start, µs. */
  ts: number;
  counts: Partial<Record<Level, number>>;
  total: number;
}

export interface FieldSummary {
  field: string;
  /** Records (of the sample) that have the field. */
  count: number;
  top: Array<{ value: string; count: number }>;
}

export interface FieldsParams extends QueryParams {
  /** How many newest matching records to summarise. */
  sample: number;
  top: number;
}

export interface ContextResult {
  anchor: OutputRecord;
  /** Older records, oldest first. */
  before: OutputRecord[];
  /** Newer records, oldest first. */
  after: OutputRecord[];
}

/**
 * One unit of exactly-once loading: a spool segment or a broker message. Its records are
 * normalised NDJSON lines (model/record.ts `toStoredLine`), either in a file or in memory.
 */
export interface LoadPart {
  /** Unique and stable across redelivery: the store applies a key at most once, ever. */
  key: string;
  file?: string;
  lines?: string[];
  /** What the writer knows of the part's records, when known: lets a store skip a pre-pass. */
  bounds?: PartBounds;
}

/**
 * Oldest and newest timestamp (µs) and first and last id of a part's records. Ids are assigned in
 * append order, so the id range of consecutive parts holds no other part's records.
 */
export interface PartBounds {
  minTs: number;
  maxTs: number;
  firstId: bigint;
  lastId: bigint;
}

/** Widen `into` to cover `b` (the union of two parts' bounds). */
export function widenBounds(into: PartBounds, b: PartBounds): void {
  if (b.minTs < into.minTs) into.minTs = b.minTs;
  if (b.maxTs > into.maxTs) into.maxTs = b.maxTs;
  if (b.firstId < into.firstId) into.firstId = b.firstId;
  if (b.lastId > into.lastId) into.lastId = b.lastId;
}

/** Parts loaded together in one transaction (a backlog of segments loads as one bulk insert). */
export interface LoadBatch {
  parts: LoadPart[];
}

export interface LoadResult {
  /** Rows inserted (parts whose key had already been applied insert nothing). */
  inserted: number;
  /**
   * Keys of the parts this load applied (the others had been applied before): in cluster mode
   * the worker announces only these parts' id ranges to live tail, so a redelivery shows nothing twice.
   */
  appliedKeys: string[];
}

/** An attribute path kept in a column of its own (see ingest/attribute-columns.ts). */
export interface AttributeColumn {
  /** 0-based, dense: the index of the path's value in StoredRecord.promoted. */
  slot: number;
  /** The path, outermost key first. */
  keys: string[];
}

export interface StoreStats {
  records: number;
  bytesOnDisk: number;
  partitions: number;
}

export interface Store {
  open(): Promise<void>;
  close(): Promise<void>;
  /** Insert a batch exactly once (idempotent by key), durably, in one transaction. */
  load(batch: LoadBatch): Promise<LoadResult>;
  /** Highest record id stored, to seed the id generator after a restart. */
  maxId(): Promise<bigint>;
  search(p: SearchParams): Promise<SearchResult>;
  /**
   * Matching records with id > afterId, in id order (live tail). Batches load in id order, so
   * once a record is visible every record with a smaller id is too. In cluster mode workers load
   * batches in any order, so tail asks for each loaded batch's id range: `throughId` (inclusive)
   * bounds it from above.
   */
  since(query: QueryNode, afterId: string, limit: number, throughId?: string): Promise<OutputRecord[]>;
  count(p: QueryParams): Promise<number>;
  /** Oldest and newest timestamp among matching records (null when none match). */
  timeBounds(p: QueryParams): Promise<{ from: number; to: number } | null>;
  histogram(p: HistogramParams): Promise<HistogramBucket[]>;
  fields(p: FieldsParams): Promise<FieldSummary[]>;
  /**
   * The record `id` and its neighbours in time. With `within`, only records matching it count:
   * the anchor too, so an id outside it is null (a role's filter, docs/access.md).
   */
  context(id: string, before: number, after: number, within?: QueryNode): Promise<ContextResult | null>;
  /** Newest first, streamed in pages so memory stays bounded. */
  export(p: QueryParams): AsyncIterable<OutputRecord>;
  /** Remove every record older than `cutoff` (µs). Returns records removed. */
  applyRetention(cutoff: number): Promise<number>;
  stats(): Promise<StoreStats>;
  /** Attribute paths with a column of their own, by slot; absent when the store has none. */
  attributeColumns?(): AttributeColumn[];
  /** Give `keys` a column, persisted before this resolves; null when every slot is taken. */
  addAttributeColumn?(keys: string[]): Promise<AttributeColumn | null>;
}
