import type { DuckDBValue } from '@duckdb/node-api';
import type { Level, OutputRecord } from '../../model/record.js';
import { toOutputRecord } from '../../model/record.js';

/** Convert one row selected with SELECT_RECORD (schema.ts) into the API's record shape. */
export function rowToRecord(row: DuckDBValue[]): OutputRecord {
  const [id, ts, level, message, resourceId, traceId, spanId, commit, attrs] = row;
  return toOutputRecord({
    id: id as string,
    ts: Number(ts as bigint),
    level: level as Level,
    message: message as string,
    resourceId: (resourceId as string | null) ?? undefined,
    traceId: (traceId as string | null) ?? undefined,
    spanId: (spanId as string | null) ?? undefined,
    commit: (commit as string | null) ?? undefined,
    attrs: attrs === null ? {} : (JSON.parse(attrs as string) as Record<string, unknown>),
  });
}
