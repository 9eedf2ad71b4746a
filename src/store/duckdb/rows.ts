import type { DuckDBValue } from '@duckdb/node-api';
import type { Level, OutputRecord } from '../../model/record.js';
import { toOutputRecord } from '../../model/record.js';
import type { AttributeColumn } from '../store.js';

/**
 * Convert one row selected with SELECT_RECORD (schema.ts) into the API's record shape, putting
 * the values of the attribute columns back at their paths.
 */
export function rowToRecord(row: DuckDBValue[], columns: readonly AttributeColumn[]): OutputRecord {
  const [id, ts, level, message, resourceId, traceId, spanId, commit, attrs] = row;
  const parsed = attrs === null ? {} : (JSON.parse(attrs as string) as Record<string, unknown>);
  for (const col of columns) {
    const value = row[9 + col.slot];
    if (value !== null && value !== undefined) putAt(parsed, col.keys, value as string);
  }
  return toOutputRecord({
    id: id as string,
    ts: Number(ts as bigint),
    level: level as Level,
    message: message as string,
    resourceId: (resourceId as string | null) ?? undefined,
    traceId: (traceId as string | null) ?? undefined,
    spanId: (spanId as string | null) ?? undefined,
    commit: (commit as string | null) ?? undefined,
    attrs: parsed,
  });
}

/** Set `value` at `keys`, creating the objects on the way (ingest removed the ones it emptied). */
function putAt(attrs: Record<string, unknown>, keys: readonly string[], value: string): void {
  let obj = attrs;
  for (const k of keys.slice(0, -1)) {
    const next = obj[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) obj[k] = {};
    obj = obj[k] as Record<string, unknown>;
  }
  obj[keys[keys.length - 1]!] = value;
}
