/**
 * W3C trace context ids (32 and 16 lowercase hex digits, what OTLP and every tracer send) are
 * kept as integers, not text: equality on them is a scan of fixed-width integers instead of
 * strings (~10x faster, measured: 9 vs 100 ms over 3M rows), they load faster, and they take
 * less room. Any other form of id stays in trace_id / span_id as sent, so every value
 * round-trips exactly. These columns come last: databases from before them get them by ALTER.
 */
export const HEX_ID_COLUMNS = ['trace_hi', 'trace_lo', 'span_bits'] as const;

/**
 * Attribute columns a0…a7: frequent string attributes split out of `attrs` at ingest (see
 * ingest/attribute-columns.ts); which path each holds is in ATTRIBUTE_COLUMNS_TABLE.
 */
export const ATTR_SLOTS = 8;
export const ATTR_COLUMNS = Array.from({ length: ATTR_SLOTS }, (_, i) => `a${i}`);
export const ATTRIBUTE_COLUMNS_TABLE = 'sawmill_attribute_columns';

/**
 * Columns added after the first schema, in order: older tables get them by ALTER (at the end).
 * `blk` numbers a row's token-filter block (blocks.ts); it is not part of a record. Constant
 * over runs of rows, it compresses to almost nothing.
 */
export const LATE_COLUMNS: ReadonlyArray<[string, string]> = [
  ...HEX_ID_COLUMNS.map((c): [string, string] => [c, 'UBIGINT']),
  ...ATTR_COLUMNS.map((c): [string, string] => [c, 'VARCHAR']),
  ['blk', 'UINTEGER'],
];
const LATE_COLUMNS_DDL = LATE_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ');
export const TRACE_HEX = '[0-9a-f]{32}';
export const SPAN_HEX = '[0-9a-f]{16}';

/** A trace or span id as text, whichever column holds it. */
export const TRACE_TEXT = `CASE WHEN trace_hi IS NOT NULL THEN printf('%016x%016x', trace_hi, trace_lo) ELSE trace_id END`;
export const SPAN_TEXT = `CASE WHEN span_bits IS NOT NULL THEN printf('%016x', span_bits) ELSE span_id END`;

/**
 * DuckDB layout: one table per UTC day (`logs_20230915`), rows sorted by time inside each load,
 * and a `logs` view over all of them. Day tables make retention a DROP TABLE, let newest-first
 * search stop after the newest day that fills the page, and keep late or back-filled records
 * from widening the zone maps of today's row groups.
 */
export const COLUMNS_DDL = `
  id UBIGINT NOT NULL,
  ts TIMESTAMP NOT NULL,
  level VARCHAR NOT NULL,
  message VARCHAR NOT NULL,
  resource_id VARCHAR,
  trace_id VARCHAR,
  span_id VARCHAR,
  commit_id VARCHAR,
  attrs JSON,
  ${LATE_COLUMNS_DDL}`;

/** Columns as read from a spooled NDJSON line (names as in model/record.ts StoredRecord). */
export const NDJSON_COLUMNS = `{id: 'UBIGINT', ts: 'BIGINT', level: 'VARCHAR', message: 'VARCHAR',
  resourceId: 'VARCHAR', traceId: 'VARCHAR', spanId: 'VARCHAR', "commit": 'VARCHAR', attrs: 'JSON',
  promoted: 'VARCHAR[]'}`;

/**
 * Projection from read_ndjson onto the table's columns (in their order). Empty attrs are stored
 * as NULL; hex trace and span ids go to their integer columns (the regex, not the cast, decides:
 * DuckDB's hex cast also accepts `_`).
 */
export const NDJSON_PROJECTION = `id, make_timestamp(ts) AS ts, level, message, resourceId AS resource_id,
  CASE WHEN NOT regexp_full_match(traceId, '${TRACE_HEX}') THEN traceId END AS trace_id,
  CASE WHEN NOT regexp_full_match(spanId, '${SPAN_HEX}') THEN spanId END AS span_id,
  "commit" AS commit_id,
  CASE WHEN attrs::VARCHAR = '{}' THEN NULL ELSE attrs END AS attrs,
  CASE WHEN regexp_full_match(traceId, '${TRACE_HEX}') THEN ('0x' || traceId[1:16])::UBIGINT END AS trace_hi,
  CASE WHEN regexp_full_match(traceId, '${TRACE_HEX}') THEN ('0x' || traceId[17:32])::UBIGINT END AS trace_lo,
  CASE WHEN regexp_full_match(spanId, '${SPAN_HEX}') THEN ('0x' || spanId)::UBIGINT END AS span_bits,
  ${ATTR_COLUMNS.map((c, i) => `promoted[${i + 1}] AS ${c}`).join(', ')}`;

/** Moves hex ids stored as text (databases from before the integer columns) into them. */
export function migrateHexIdsSql(table: string): string[] {
  return [
    `UPDATE ${table} SET trace_hi = ('0x' || trace_id[1:16])::UBIGINT,
       trace_lo = ('0x' || trace_id[17:32])::UBIGINT, trace_id = NULL
     WHERE regexp_full_match(trace_id, '${TRACE_HEX}')`,
    `UPDATE ${table} SET span_bits = ('0x' || span_id)::UBIGINT, span_id = NULL
     WHERE regexp_full_match(span_id, '${SPAN_HEX}')`,
  ];
}

/**
 * What every read selects, in a shape that converts cheaply to an OutputRecord. The id is `rid`:
 * ORDER BY resolves a name to an output column first, and `id` would sort the text (10 < 9).
 */
export const SELECT_RECORD = `id::VARCHAR AS rid, epoch_us(ts) AS ts, level, message, resource_id,
  ${TRACE_TEXT} AS trace_id, ${SPAN_TEXT} AS span_id, commit_id, attrs::VARCHAR AS attrs,
  ${ATTR_COLUMNS.join(', ')}`;

export const TEMPLATE_TABLE = 'logs_template';
export const VIEW = 'logs';
const PARTITION_NAME = /^logs_(\d{4})(\d{2})(\d{2})$/;
const DAY_MICROS = 86_400_000_000;

export interface Partition {
  table: string;
  /** Start of the day, µs. */
  start: number;
  /** Start of the next day, µs (exclusive end). */
  end: number;
}

/** Whether the day lies wholly inside [from, to] (µs, inclusive, either open). */
export function wholeDay(p: Partition, from: number | undefined, to: number | undefined): boolean {
  return (from ?? p.start) <= p.start && (to ?? p.end) >= p.end - 1;
}

export function partitionForDay(day: string): Partition {
  const start = Date.parse(`${day}T00:00:00Z`) * 1000;
  return { table: `logs_${day.replaceAll('-', '')}`, start, end: start + DAY_MICROS };
}

export function partitionFromTable(table: string): Partition | null {
  const m = PARTITION_NAME.exec(table);
  return m ? partitionForDay(`${m[1]}-${m[2]}-${m[3]}`) : null;
}
