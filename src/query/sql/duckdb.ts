import type { SqlDialect } from './dialect.js';

/** DuckDB: RE2 regexes, JSON Pointer paths into the `attrs` JSON column. */
export const duckdbDialect: SqlDialect = {
  column: {
    id: 'id',
    timestamp: 'ts',
    level: 'level',
    message: 'message',
    resourceId: 'resource_id',
    traceId: 'trace_id',
    spanId: 'span_id',
    commit: 'commit_id',
  },
  attrText: (p) => `json_extract_string(attrs, ${p})`,
  attrExists: (p) => `(json_extract(attrs, ${p}) IS NOT NULL)`,
  toNumber: (e) => `TRY_CAST(${e} AS DOUBLE)`,
  regexMatch: (e, p) => `regexp_matches(${e}, ${p})`,
  ilike: (e, p) => `(${e} ILIKE ${p} ESCAPE '\\')`,
  like: (e, p) => `(${e} LIKE ${p} ESCAPE '\\')`,
  timestamp: (p) => `make_timestamp(${p}::BIGINT)`,
  id: (p) => `${p}::UBIGINT`,
};
