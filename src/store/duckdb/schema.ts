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
  attrs JSON`;

/** Columns as read from a spooled NDJSON line (names as in model/record.ts StoredRecord). */
export const NDJSON_COLUMNS = `{id: 'UBIGINT', ts: 'BIGINT', level: 'VARCHAR', message: 'VARCHAR',
  resourceId: 'VARCHAR', traceId: 'VARCHAR', spanId: 'VARCHAR', "commit": 'VARCHAR', attrs: 'JSON'}`;

/** Projection from read_ndjson onto the table's columns. Empty attrs are stored as NULL. */
export const NDJSON_PROJECTION = `id, make_timestamp(ts) AS ts, level, message, resourceId AS resource_id,
  traceId AS trace_id, spanId AS span_id, "commit" AS commit_id,
  CASE WHEN attrs::VARCHAR = '{}' THEN NULL ELSE attrs END AS attrs`;

/** What every read selects, in a shape that converts cheaply to an OutputRecord. */
export const SELECT_RECORD = `id::VARCHAR AS id, epoch_us(ts) AS ts, level, message, resource_id, trace_id,
  span_id, commit_id, attrs::VARCHAR AS attrs`;

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

export function partitionForDay(day: string): Partition {
  const start = Date.parse(`${day}T00:00:00Z`) * 1000;
  return { table: `logs_${day.replaceAll('-', '')}`, start, end: start + DAY_MICROS };
}

export function partitionFromTable(table: string): Partition | null {
  const m = PARTITION_NAME.exec(table);
  return m ? partitionForDay(`${m[1]}-${m[2]}-${m[3]}`) : null;
}
